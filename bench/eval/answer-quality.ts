// The answer layer's figures, each on data its parameters were not fitted on: PubMedQA's test half,
// SciFact's test claims, the cross-corpus negatives of both, and the hand-written near-misses and
// paraphrases (test lists). Every question goes through AnswerService.ask, as an API call would.
import type { AskResult } from '../../src/answer/answer-service.js';
import type { Calibration } from '../../src/answer/calibration.js';
import { stem, words } from '../../src/text/terms.js';
import { mean, percentile, rougeL, table } from '../metrics.js';
import { overlaps } from './calibrate.js';
import { serviceFor, type EvalCorpus } from './corpora.js';
import { resolveRefs, type PubmedQaItem, type ScifactClaim, type WrittenQuestion } from './datasets.js';

export interface Outcome {
  group: string;
  answerable: boolean;
  result: AskResult;
  /** Did the answer do the right thing: cite a right paper, or refuse? */
  right: boolean;
}

const quotesOf = (r: AskResult) => r.citations.flatMap((c) => c.spans.filter((s) => s.field === 'abstract').map((s) => ({ paperId: c.paperId, ...s })));
/** The answer's own words, without markers, for ROUGE. */
const answerText = (r: AskResult) => r.segments.map((s) => s.text).join(' ');

async function ask(corpus: EvalCorpus, calibration: Calibration | undefined, question: string): Promise<AskResult> {
  return serviceFor(corpus, calibration).ask({ question });
}

export async function pubmedQaReport(corpus: EvalCorpus, items: PubmedQaItem[], calibration?: Calibration) {
  const test = items.filter((i) => i.split === 'test');
  const outcomes: Outcome[] = [];
  let retrieved = 0;
  const rouge: number[] = [];
  const citedPapers: number[] = [];
  const latencies: number[] = [];
  for (const item of test) {
    const t0 = performance.now();
    const result = await ask(corpus, calibration, item.question);
    latencies.push(performance.now() - t0);
    const top = await corpus.retriever.retrieve(item.question, { k: corpus.config.retrievalK });
    if (top.some((r) => r.paper.id === item.paperId)) retrieved++;
    const cited = result.citations.some((c) => c.paperId === item.paperId);
    outcomes.push({ group: 'PubMedQA test', answerable: true, result, right: cited });
    if (result.answerable) {
      rouge.push(rougeL(answerText(result), item.longAnswer));
      citedPapers.push(result.citations.length);
    }
  }
  const n = test.length;
  const row = {
    questions: n,
    sourceRetrieved: retrieved / n,
    sourceCited: outcomes.filter((o) => o.right).length / n,
    falseRefusals: outcomes.filter((o) => !o.result.answerable).length / n,
    rougeL: mean(rouge),
    papersCited: mean(citedPapers),
    p50ms: percentile(latencies, 50),
  };
  const body = table(
    ['questions', `source in top ${corpus.config.retrievalK}`, 'source cited', 'false refusals', 'ROUGE-L vs LONG_ANSWER', 'papers cited per answer', 'p50 ms'],
    [[row.questions, row.sourceRetrieved, row.sourceCited, row.falseRefusals, row.rougeL, row.papersCited, row.p50ms]],
  );
  return { row, outcomes, body };
}

export async function scifactReport(corpus: EvalCorpus, claims: ScifactClaim[], calibration?: Calibration) {
  const test = claims.filter((c) => c.split === 'test' && c.rationales.size > 0);
  const outcomes: Outcome[] = [];
  let goldCited = 0;
  let rationaleQuoted = 0;
  let quotes = 0;
  let goodQuotes = 0;
  for (const claim of test) {
    const result = await ask(corpus, calibration, claim.text);
    const cited = result.citations.some((c) => claim.rationales.has(c.paperId));
    if (cited) goldCited++;
    let any = false;
    for (const q of quotesOf(result)) {
      quotes++;
      if ((claim.rationales.get(q.paperId) ?? []).some((m) => overlaps(m, q))) (goodQuotes++, (any = true));
    }
    if (any) rationaleQuoted++;
    outcomes.push({ group: 'SciFact test', answerable: true, result, right: cited });
  }
  const noEvidence = claims.filter((c) => c.split === 'test' && c.rationales.size === 0);
  let answeredNei = 0;
  for (const claim of noEvidence) if ((await ask(corpus, calibration, claim.text)).answerable) answeredNei++;
  const n = test.length;
  const row = {
    claims: n,
    goldCited: goldCited / n,
    rationaleQuoted: rationaleQuoted / n,
    quotePrecision: quotes ? goodQuotes / quotes : NaN,
    refused: outcomes.filter((o) => !o.result.answerable).length / n,
    quotesPerAnswer: quotes / Math.max(1, outcomes.filter((o) => o.result.answerable).length),
    neiAnswered: answeredNei / Math.max(1, noEvidence.length),
  };
  const body =
    table(
      ['claims with rationales', 'gold paper cited', 'rationale sentence quoted', 'quote precision', 'refused', 'quotes per answer'],
      [[row.claims, row.goldCited, row.rationaleQuoted, row.quotePrecision, row.refused, row.quotesPerAnswer]],
    ) +
    `\n\nThe other ${noEvidence.length} test claims have relevant papers but no rationale sentence in them (SciFact's NOT ENOUGH INFO); ${(100 * row.neiAnswered).toFixed(1)}% of them were answered.`;
  return { row, outcomes, body };
}

/** Questions that no indexed abstract answers: every one should be refused. */
export async function refusalReport(group: string, corpus: EvalCorpus, questions: string[], calibration?: Calibration) {
  const outcomes: Outcome[] = [];
  for (const q of questions) {
    const result = await ask(corpus, calibration, q);
    outcomes.push({ group, answerable: false, result, right: !result.answerable && result.citations.length === 0 });
  }
  return { refused: outcomes.filter((o) => o.right).length / Math.max(1, outcomes.length), outcomes };
}

/** The hand-written sets: near-misses must be refused (naming what is missing), paraphrases answered from the right paper. */
export async function writtenReport(set: WrittenQuestion[], corpora: Record<WrittenQuestion['corpus'], EvalCorpus>, calibration?: Calibration) {
  const outcomes: Outcome[] = [];
  const misses: string[] = [];
  let named = 0;
  for (const q of set) {
    const corpus = corpora[q.corpus];
    const result = await ask(corpus, calibration, q.question);
    if (q.absent) {
      const right = !result.answerable && result.citations.length === 0;
      const absentStems = new Set(q.absent.flatMap((a) => words(a).map(stem)));
      if (right && (result.missing ?? []).some((m) => words(m).map(stem).some((s) => absentStems.has(s)))) named++;
      if (!right) misses.push(`${q.id} answered, citing ${result.citations.map((c) => c.label).join('; ')}`);
      outcomes.push({ group: 'near-misses', answerable: false, result, right });
    } else {
      const expected = resolveRefs(q.expected, corpus.papers, q.id);
      const right = result.citations.some((c) => expected.has(c.paperId));
      if (!right) misses.push(`${q.id} ${result.answerable ? `cited ${result.citations.map((c) => c.label).join('; ')}` : 'refused'}`);
      outcomes.push({ group: 'paraphrases', answerable: true, result, right });
    }
  }
  return { outcomes, named, misses };
}

/** False answers against false refusals as the threshold moves, over held-out outcomes. */
export function riskCoverage(outcomes: Outcome[], chosen: number): string {
  const groups = [...new Set(outcomes.map((o) => o.group))];
  const thresholds = [...new Set([...Array.from({ length: 19 }, (_, i) => 0.05 * (i + 1)), chosen])].sort((a, b) => a - b);
  const rows = thresholds.map((t) => {
    const cells = groups.map((g) => {
      const os = outcomes.filter((o) => o.group === g);
      // The probability is the best paper's; at threshold t an answer is given when it reaches t.
      const wrong = os.filter((o) => (o.answerable ? o.result.answerability.probability < t : o.result.answerability.probability >= t)).length;
      return wrong / os.length;
    });
    return [Math.abs(t - chosen) < 1e-9 ? `**${t.toFixed(3)} (chosen)**` : t.toFixed(3), ...cells];
  });
  return table(['threshold', ...groups.map((g) => (outcomes.find((o) => o.group === g)!.answerable ? `false refusals: ${g}` : `false answers: ${g}`))], rows);
}
