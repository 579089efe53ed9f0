// Finds the sentences of the retrieved abstracts that best answer a question, as exact spans.
// Scoring is IDF-weighted term coverage: what share of the question's informative words a sentence
// contains. Unknown words weigh the most, which is what makes an off-topic question visibly
// uncovered and lets the answerer refuse instead of citing weakly related text.
import type { Paper } from '../types.js';
import type { RetrievedPaper } from '../retrieve/retriever.js';
import { splitSentences } from '../text/sentences.js';
import { contentTerms } from '../text/terms.js';
import { themeOf, type ThemeName } from './sentence-role.js';

// What a sentence does matters as much as its words: a finding answers, a stated aim only
// restates the question, and a question in the abstract answers nothing.
const ROLE_BONUS: Record<ThemeName, number> = { Findings: 0.08, Implications: 0.05, 'Methods and samples': 0, 'Aims and context': -0.08 };

export interface EvidenceSentence {
  paper: Paper;
  start: number;
  end: number;
  text: string;
  /** Weighted share of the question's terms this sentence contains (0..1). */
  coverage: number;
  score: number;
  terms: Set<string>;
}

export type Idf = (term: string) => number;

export interface QueryTerms {
  terms: string[];
  weights: Map<string, number>;
  total: number;
}

export function queryTerms(question: string, idf: Idf): QueryTerms {
  const terms = [...new Set(contentTerms(question))];
  const weights = new Map(terms.map((t) => [t, idf(t)]));
  const total = [...weights.values()].reduce((a, b) => a + b, 0);
  return { terms, weights, total };
}

export function coverageOf(q: QueryTerms, sentenceTerms: Set<string>): number {
  if (q.total === 0) return 0;
  let hit = 0;
  for (const [t, w] of q.weights) if (sentenceTerms.has(t)) hit += w;
  return hit / q.total;
}

interface AnalysedSentence {
  start: number;
  end: number;
  text: string;
  terms: Set<string>;
  theme: ThemeName;
  bonus: number;
}

// Splitting, stemming and classifying an abstract's sentences is the same work on every question:
// done once per paper object and kept as long as the paper is.
const analysed = new WeakMap<Paper, { sentences: AnalysedSentence[]; titleTerms: Set<string> }>();

/** A paper's sentences with their offsets, content terms and role, computed once per paper. */
export function analyse(paper: Paper) {
  let a = analysed.get(paper);
  if (!a) {
    const abstract = paper.abstract ?? '';
    const sentences = splitSentences(abstract).map((span) => {
      const text = abstract.slice(span.start, span.end);
      const question = /\?["”’)]*$/.test(text) ? -0.15 : 0;
      const theme = themeOf(text, span.start, paper.sections);
      return { ...span, text, terms: new Set(contentTerms(text)), theme, bonus: ROLE_BONUS[theme] + question };
    });
    a = { sentences, titleTerms: new Set(contentTerms(paper.title ?? '')) };
    analysed.set(paper, a);
  }
  return a;
}

/** Every sentence of every retrieved paper, scored against the question, best first. */
export function scoreEvidence(question: string, retrieved: RetrievedPaper[], idf: Idf): EvidenceSentence[] {
  const q = queryTerms(question, idf);
  const out: EvidenceSentence[] = [];
  for (const { paper, score: paperScore } of retrieved) {
    if (!paper.abstract) continue;
    const { sentences, titleTerms } = analyse(paper);
    // The title says what the whole abstract is about: a little of its coverage carries over.
    const titleCoverage = coverageOf(q, titleTerms);
    for (const s of sentences) {
      const coverage = coverageOf(q, s.terms);
      out.push({ paper, start: s.start, end: s.end, text: s.text, coverage, terms: s.terms, score: coverage + 0.15 * titleCoverage + 0.1 * paperScore + s.bonus });
    }
  }
  return out.sort((a, b) => b.score - a.score);
}

export function jaccard(a: Set<string>, b: Set<string>): number {
  if (a.size === 0 && b.size === 0) return 1;
  let inter = 0;
  for (const x of a) if (b.has(x)) inter++;
  return inter / (a.size + b.size - inter);
}
