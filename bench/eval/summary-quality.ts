// How good the cited summaries are, on topics the summary code was never tuned on:
// - topical precision: the share of a summary's cited sentences that come from a paper relevant to
//   the topic (a topic nothing covers should get no cited sentence at all);
// - coverage: the share of the relevant papers the summary cites;
// - agreement: the theme holding a labelled set of papers, and whether it is marked agree, mixed or
//   single with the right contrasting paper.
// Topics and labels are test/eval/summary-topics.json (written before any tuning; "dev" topics
// were looked at while choosing SUMMARY_COVERAGE and THEME_SIMILARITY, "seen" ones were the first
// test topics, whose figures were seen while the fallback changed, "test" ones only run here) and
// SciFact's test claims with their qrels (which judge one or two papers per claim, so a floor).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/config.js';
import type { SummarizeResult } from '../../src/answer/answer-service.js';
import type { Calibration } from '../../src/answer/calibration.js';
import { mean, table } from '../metrics.js';
import { serviceFor, type EvalCorpus } from './corpora.js';

interface TopicSpec {
  id: string;
  split: 'dev' | 'seen' | 'test';
  topic: string;
  relevant: string[];
}

interface AgreementSpec {
  id: string;
  theme: string;
  papers: string[];
  label: 'agree' | 'mixed' | 'single';
  contrasting: string[];
  evidence: Record<string, string>;
}

export function loadSummaryTopics(): { topics: TopicSpec[]; agreement: AgreementSpec[] } {
  return JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'test', 'eval', 'summary-topics.json'), 'utf8'));
}

export interface TopicOutcome {
  id: string;
  sentences: number;
  onTopic: number;
  relevant: number;
  relevantCited: number;
  fallback: boolean;
}

function citedSentences(result: SummarizeResult): string[] {
  return result.segments.flatMap((s) => s.citations.slice(0, 1).map((c) => c.paperId));
}

/** Summaries of `topics` over `corpus`; `relevantIds` maps a topic to its relevant paper ids. */
export async function topicOutcomes(corpus: EvalCorpus, topics: Array<{ id: string; topic: string; relevant: Set<string> }>, calibration?: Calibration): Promise<TopicOutcome[]> {
  const service = serviceFor(corpus, calibration);
  const out: TopicOutcome[] = [];
  for (const t of topics) {
    const result = await service.summarize({ topic: t.topic, mode: 'extractive' });
    const sentences = citedSentences(result);
    const cited = new Set(result.citations.map((c) => c.paperId));
    out.push({
      id: t.id,
      sentences: sentences.length,
      onTopic: sentences.filter((id) => t.relevant.has(id)).length,
      relevant: t.relevant.size,
      relevantCited: [...t.relevant].filter((id) => cited.has(id)).length,
      fallback: result.fallback === 'answer',
    });
  }
  return out;
}

export function topicRow(name: string, outcomes: TopicOutcome[]): Array<string | number> {
  const sentences = outcomes.reduce((a, o) => a + o.sentences, 0);
  const onTopic = outcomes.reduce((a, o) => a + o.onTopic, 0);
  const withRelevant = outcomes.filter((o) => o.relevant > 0);
  const empty = outcomes.filter((o) => o.relevant === 0);
  return [
    name,
    outcomes.length,
    sentences,
    sentences ? onTopic / sentences : 1,
    withRelevant.length ? mean(withRelevant.map((o) => o.relevantCited / o.relevant)) : '—',
    empty.length ? `${empty.filter((o) => o.sentences === 0).length} of ${empty.length}` : '—',
    outcomes.filter((o) => o.fallback).length / outcomes.length,
  ];
}

export const TOPIC_COLUMNS = ['topics', 'n', 'cited sentences', 'topical precision', 'coverage (relevant papers cited)', 'topics nothing covers, left uncited', 'answered instead (fewer than 2 papers on topic)'];

/**
 * The labelled agreement items, each summarised as chosen papers with its theme as the topic. Two
 * checks: each paper's main finding is the sentence the label quotes, and (for two or more papers)
 * the theme holding them all carries the label, with the right contrasting paper when mixed.
 */
export async function agreementReport(corpus: EvalCorpus, items: AgreementSpec[], calibration?: Calibration): Promise<{ body: string; labels: { right: number; n: number }; findings: { right: number; n: number } }> {
  const service = serviceFor(corpus, calibration);
  const idOf = new Map(corpus.papers.map((p) => [p.label, p.id]));
  const rows: Array<Array<string | number>> = [];
  const labels = { right: 0, n: 0 };
  const findings = { right: 0, n: 0 };
  for (const item of items) {
    const ids = item.papers.map((l) => idOf.get(l)!);
    const result = await service.summarize({ paperIds: ids, topic: item.theme, mode: 'extractive' });
    let findingsRight = 0;
    for (const [label, sentence] of Object.entries(item.evidence)) {
      const chosen = result.findings?.find((f) => f.paperId === idOf.get(label))?.sentence?.text;
      if (chosen?.trim() === sentence.trim()) findingsRight++;
    }
    findings.right += findingsRight;
    findings.n += Object.keys(item.evidence).length;
    let verdict = '—';
    let contrasting = '—';
    if (ids.length > 1) {
      // The theme that holds the labelled papers; none when the summary did not group them.
      const theme = result.themes.find((t) => ids.every((id) => t.papers.includes(id)));
      const said = theme?.agreement ?? 'not grouped';
      contrasting = (theme?.contrasting ?? []).map((id) => corpus.byId.get(id)!.label).join('; ') || '—';
      const ok = said === item.label && (item.label !== 'mixed' || contrasting === item.contrasting.join('; '));
      labels.n++;
      if (ok) labels.right++;
      verdict = `${said} ${ok ? '✓' : '✗'}`;
    }
    rows.push([item.id, item.theme, item.label, verdict, contrasting, `${findingsRight} of ${Object.keys(item.evidence).length}`]);
  }
  return { body: table(['id', 'theme', 'label', 'summary says', 'contrasting', "main findings = the labelled sentence"], rows), labels, findings };
}
