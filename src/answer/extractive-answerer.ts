// The default answerer: no LLM, deterministic, offline. It picks the evidence sentences that best
// cover the question, drops near-duplicates, keeps at most two per paper, orders them by paper, and
// cites each. Every sentence of the answer is a verbatim sentence of the cited abstract.
import type { RetrievedPaper } from '../retrieve/retriever.js';
import { scoreEvidence, jaccard, type EvidenceSentence, type Idf } from './evidence.js';
import type { Source } from './cite.js';

export interface ExtractiveOptions {
  maxSentences?: number;
  maxPerPaper?: number;
}

/** The best sentence must cover this weighted share of the question's informative words. */
export const MIN_COVERAGE = 0.5;

export interface ExtractiveDraft {
  answerable: boolean;
  answer: string;
  sources: Source[];
  evidence: EvidenceSentence[];
}

/**
 * @example const draft = extractiveDraft('Does peer support reduce self-stigma?', retrieved, idf);
 */
export function extractiveDraft(question: string, retrieved: RetrievedPaper[], idf: Idf, options: ExtractiveOptions = {}): ExtractiveDraft {
  const maxSentences = options.maxSentences ?? 4;
  const maxPerPaper = options.maxPerPaper ?? 2;
  const scored = scoreEvidence(question, retrieved, idf);
  const best = scored[0];
  if (!best || best.coverage < MIN_COVERAGE) return { answerable: false, answer: '', sources: [], evidence: [] };

  const floor = Math.max(MIN_COVERAGE * 0.7, best.coverage * 0.6);
  const chosen: EvidenceSentence[] = [];
  const perPaper = new Map<string, number>();
  for (const e of scored) {
    if (chosen.length >= maxSentences) break;
    if (e.coverage < floor) break;
    if ((perPaper.get(e.paper.id) ?? 0) >= maxPerPaper) continue;
    if (chosen.some((c) => jaccard(c.terms, e.terms) > 0.6)) continue;
    chosen.push(e);
    perPaper.set(e.paper.id, (perPaper.get(e.paper.id) ?? 0) + 1);
  }

  // Group by paper (best paper first), and keep each paper's sentences in reading order.
  const paperOrder = [...new Set(chosen.map((c) => c.paper.id))];
  chosen.sort((a, b) => paperOrder.indexOf(a.paper.id) - paperOrder.indexOf(b.paper.id) || a.start - b.start);
  const retrievedScore = new Map(retrieved.map((r) => [r.paper.id, r.score]));
  const sources: Source[] = paperOrder.map((id, i) => ({
    n: i + 1,
    paper: chosen.find((c) => c.paper.id === id)!.paper,
    score: retrievedScore.get(id) ?? 0,
  }));
  const nOf = new Map(sources.map((s) => [s.paper.id, s.n]));
  const answer = chosen.map((c) => cite(c.text, nOf.get(c.paper.id)!)).join(' ');
  return { answerable: true, answer, sources, evidence: chosen };
}

/** "…urgently needed [1]." — the marker sits inside the sentence, before its closing stop. */
function cite(sentence: string, n: number): string {
  const m = sentence.match(/^([\s\S]*?)([.!?]+["”’)]*)?$/)!;
  return `${m[1]} [${n}]${m[2] ?? '.'}`;
}
