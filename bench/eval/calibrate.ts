// `npm run eval -- --calibrate`: fits the answer layer's parameters on the fit halves only and
// writes src/answer/calibration.json.
// - The gate (answerability): a logistic model over (question, retrieved paper) measurements.
//   Positives: PubMedQA fit questions and SciFact train claims with their source / rationale paper.
//   Negatives: the other retrieved papers of those questions; the same questions asked of the
//   bundled corpus (cross-corpus); and near-misses made from them (synthetic-near-misses.ts).
//   The threshold and the focus cut-offs are the point of the fit-data risk–coverage table that
//   refuses the most unanswerable questions (mean over their groups) while refusing at most 5% of
//   each answerable group.
// - The evidence model: a logistic model over sentences of SciFact train claims' rationale papers,
//   a sentence being positive when annotators marked it as a rationale; `extraQuote` is the bar a
//   second quote must clear, chosen for the best F1 of "a rationale was quoted" and quote precision.
// - The support threshold for checking an LLM's claims: the claim-coverage cut that best separates
//   rationale sentences from the other sentences of the same papers (F1), on the same claims.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/config.js';
import { ANSWERABILITY_FEATURES, EVIDENCE_FEATURES, logistic, type Calibration } from '../../src/answer/calibration.js';
import { supportOf } from '../../src/answer/cite.js';
import { mustCover } from '../../src/answer/paper-evidence.js';
import { paperText } from '../../src/answer/paper-text.js';
import { analyseQuestion } from '../../src/answer/question.js';
import { decideAnswerability, focusScore } from '../../src/answer/answerability.js';
import { evidenceFeatures, selectEvidence } from '../../src/answer/select-evidence.js';
import type { PubmedQaItem, ScifactClaim } from './datasets.js';
import { measure, type EvalCorpus, type Judged } from './corpora.js';
import { fitLogistic, type Example } from './logistic.js';
import { nearMissesOf, rng, vocabularyOf } from './synthetic-near-misses.js';
import { respell } from '../../src/text/spelling.js';
import { table } from '../metrics.js';

export const CALIBRATION_FILE = path.join(PROJECT_ROOT, 'src', 'answer', 'calibration.json');

/** The product's bar, from the answer-trust issue (≤ 4% on held-out PubMedQA): refuse at most 5% of answerable fit questions. */
export const MAX_FALSE_REFUSALS = 0.05;

export interface CalibrationInputs {
  pubmedqa: EvalCorpus;
  pubmedqaItems: PubmedQaItem[];
  scifact: EvalCorpus;
  claims: ScifactClaim[];
  bundled: EvalCorpus;
  embeddingModel: string;
}

/** Spans overlap when they share more than half of the shorter one. */
export function overlaps(a: { start: number; end: number }, b: { start: number; end: number }): boolean {
  return Math.min(a.end, b.end) - Math.max(a.start, b.start) > 0.5 * Math.min(a.end - a.start, b.end - b.start);
}

/** A question of the fit data: which group it belongs to, and its papers' measurements and labels. */
interface FitQuestion {
  group: 'PubMedQA fit (answerable)' | 'SciFact train (answerable)' | 'cross-corpus (unanswerable)' | 'synthetic near-miss (unanswerable)';
  answerable: boolean;
  judged: Judged;
  /** For answerable questions: the papers that answer. */
  gold: Set<string>;
  claim?: ScifactClaim;
}

const vector = (f: Record<string, number>, names: readonly string[]) => names.map((n) => f[n]);

/** A near-miss whose new word respelling turns into a word of the library is no longer one (it asks about that word). */
const respelledAway = (question: string, corpus: EvalCorpus) => respell(question, corpus.corpus.termStats).respelled.length > 0;

export async function calibrate(inputs: CalibrationInputs, log: (line: string) => void): Promise<{ calibration: Calibration; sections: Array<[string, string]> }> {
  const { pubmedqa, scifact, bundled } = inputs;
  const fitItems = inputs.pubmedqaItems.filter((i) => i.split === 'fit');
  const fitClaims = inputs.claims.filter((c) => c.split === 'fit');
  const withRationale = fitClaims.filter((c) => c.rationales.size > 0);
  const questions: FitQuestion[] = [];
  const r = rng(20261201);
  const vocab = { pubmedqa: vocabularyOf(pubmedqa.papers), scifact: vocabularyOf(scifact.papers) };

  log(`calibrate: ${fitItems.length} PubMedQA fit questions, ${withRationale.length} SciFact train claims with rationales…`);
  for (const item of fitItems) {
    questions.push({ group: 'PubMedQA fit (answerable)', answerable: true, judged: await measure(pubmedqa, item.question), gold: new Set([item.paperId]) });
    questions.push({ group: 'cross-corpus (unanswerable)', answerable: false, judged: await measure(bundled, item.question), gold: new Set() });
    for (const miss of nearMissesOf(item.question, pubmedqa.byId.get(item.paperId)!, vocab.pubmedqa, vocab.scifact, r)) {
      if (respelledAway(miss, pubmedqa)) continue;
      questions.push({ group: 'synthetic near-miss (unanswerable)', answerable: false, judged: await measure(pubmedqa, miss), gold: new Set() });
    }
  }
  for (const claim of fitClaims) questions.push({ group: 'cross-corpus (unanswerable)', answerable: false, judged: await measure(bundled, claim.text), gold: new Set() });
  for (const claim of withRationale) {
    questions.push({ group: 'SciFact train (answerable)', answerable: true, judged: await measure(scifact, claim.text), gold: new Set(claim.rationales.keys()), claim });
    const paper = scifact.byId.get([...claim.rationales.keys()][0])!;
    for (const miss of nearMissesOf(claim.text, paper, vocab.scifact, vocab.pubmedqa, r)) {
      if (respelledAway(miss, scifact)) continue;
      questions.push({ group: 'synthetic near-miss (unanswerable)', answerable: false, judged: await measure(scifact, miss), gold: new Set() });
    }
  }

  // ---- the gate: pairs, each unanswerable question's papers sharing a weight of 1, classes balanced
  const examples: Example[] = [];
  for (const q of questions) {
    const negatives = q.judged.evidence.filter((e) => !q.gold.has(e.paper.id)).length;
    q.judged.evidence.forEach((e, i) => {
      const y = q.gold.has(e.paper.id) ? 1 : 0;
      examples.push({ x: vector(q.judged.features[i], ANSWERABILITY_FEATURES), y, weight: y ? 1 : 1 / Math.max(1, negatives) });
    });
  }
  const pos = examples.filter((e) => e.y === 1).reduce((s, e) => s + e.weight!, 0);
  const neg = examples.filter((e) => e.y === 0).reduce((s, e) => s + e.weight!, 0);
  for (const e of examples) if (e.y === 1) e.weight! *= neg / pos;
  const gate = fitLogistic(examples, { l2: 1e-3 });
  log(`calibrate: gate fitted on ${examples.length} (question, paper) pairs in ${gate.iterations} iterations, log-loss ${gate.logLoss.toFixed(3)}`);

  const provisional: Calibration = {
    embeddingModel: inputs.embeddingModel,
    fittedAt: new Date().toISOString(),
    answerability: { features: [...ANSWERABILITY_FEATURES], weights: gate.weights, bias: gate.bias, threshold: 0.5, focus: { plain: 1.01, named: 1.01 }, extraPaper: 1 },
    evidence: { features: [...EVIDENCE_FEATURES], weights: EVIDENCE_FEATURES.map(() => 0), bias: 0, extraQuote: 1 },
    support: { threshold: 0.5 },
  };

  // ---- the focus cut-offs and the threshold, jointly, from the fit-data risk–coverage table
  const perPaper = questions.map((q) =>
    q.judged.evidence.map((e, i) => ({
      p: logistic(provisional.answerability, q.judged.features[i]),
      plain: Math.max(0, ...e.missing.filter((t) => !(t.proper || t.qualifier)).map(focusScore)),
      named: Math.max(0, ...e.missing.filter((t) => t.proper || t.qualifier).map(focusScore)),
    })),
  );
  const groups = [...new Set(questions.map((q) => q.group))];
  const members = groups.map((g) => questions.map((q, i) => (q.group === g ? i : -1)).filter((i) => i >= 0));
  const grid = Array.from({ length: 39 }, (_, i) => 0.025 * (i + 1));
  const cuts = [...Array.from({ length: 11 }, (_, i) => 0.5 + 0.05 * i), 1.01];
  const scoresAt = (plain: number, named: number) => perPaper.map((papers) => Math.max(0, ...papers.filter((x) => x.plain < plain && x.named < named).map((x) => x.p)));
  const errorsAt = (scores: number[], t: number) => members.map((idx) => idx.filter((i) => (questions[i].answerable ? scores[i] < t : scores[i] >= t)).length / idx.length);
  // A false refusal is the failure users see first: at most MAX_FALSE_REFUSALS of each answerable
  // group may be refused; within that, refuse as many unanswerable questions as possible.
  const answerableGroup = groups.map((g) => questions.find((q) => q.group === g)!.answerable);
  let best = { mean: Infinity, threshold: 0.5, plain: 1.01, named: 1.01 };
  for (const plain of cuts) {
    for (const named of cuts) {
      const scores = scoresAt(plain, named);
      for (const t of grid) {
        const errors = errorsAt(scores, t);
        if (errors.some((e, g) => answerableGroup[g] && e > MAX_FALSE_REFUSALS)) continue;
        const negatives = errors.filter((_, g) => !answerableGroup[g]);
        const m = negatives.reduce((a, b) => a + b, 0) / negatives.length;
        if (m < best.mean - 1e-12) best = { mean: m, threshold: t, plain, named };
      }
    }
  }
  provisional.answerability.threshold = best.threshold;
  provisional.answerability.focus = { plain: best.plain, named: best.named };
  const chosenScores = scoresAt(best.plain, best.named);
  const threshold = best.threshold;
  const riskRows = grid
    .filter((_, i) => i % 2 === 1 || Math.abs(grid[i] - threshold) < 1e-9)
    .map((t) => [Math.abs(t - threshold) < 1e-9 ? `**${t.toFixed(3)} (chosen)**` : t.toFixed(3), ...errorsAt(chosenScores, t)]);
  const withoutFocus = errorsAt(scoresAt(1.01, 1.01), threshold);

  // ---- extraPaper: the bar for citing more than one paper, by F1 of "a right paper cited" and
  // the share of cited papers that are right, over the answerable fit questions
  const paperRows: Array<Array<string | number>> = [];
  let extraPaper = 1;
  let paperF1 = -1;
  const answerableFit = questions.filter((q) => q.answerable);
  for (const bar of [...grid.filter((t) => t >= threshold), 1.01]) {
    const c = { ...provisional, answerability: { ...provisional.answerability, extraPaper: bar } };
    let right = 0;
    let cited = 0;
    let correct = 0;
    for (const q of answerableFit) {
      const ids = decideAnswerability(q.judged.evidence, c).answering.slice(0, 3).map((j) => j.evidence.paper.id);
      cited += ids.length;
      correct += ids.filter((id) => q.gold.has(id)).length;
      if (ids.some((id) => q.gold.has(id))) right++;
    }
    const recall = right / answerableFit.length;
    const precision = cited ? correct / cited : 0;
    const f1 = recall + precision ? (2 * recall * precision) / (recall + precision) : 0;
    if (f1 > paperF1 + 1e-12) (paperF1 = f1), (extraPaper = bar);
    paperRows.push([bar > 1 ? 'never' : bar.toFixed(3), recall, precision, f1]);
  }
  provisional.answerability.extraPaper = Math.min(1, extraPaper);

  // ---- the evidence model: sentences of the rationale papers that retrieval found
  const sentenceExamples: Example[] = [];
  const scifactFit = questions.filter((q) => q.claim);
  for (const q of scifactFit) {
    for (const e of q.judged.evidence) {
      const marked = q.claim!.rationales.get(e.paper.id);
      if (!marked) continue;
      for (const s of e.sentences) {
        if (!s.eligible || s.sentence.field !== 'abstract') continue;
        sentenceExamples.push({ x: vector(evidenceFeatures(s, e.sentences.length), EVIDENCE_FEATURES), y: marked.some((m) => overlaps(m, s.sentence)) ? 1 : 0 });
      }
    }
  }
  const evidenceFit = fitLogistic(sentenceExamples, { l2: 1e-3 });
  provisional.evidence = { ...provisional.evidence, weights: evidenceFit.weights, bias: evidenceFit.bias };
  log(`calibrate: evidence model fitted on ${sentenceExamples.length} sentences (${sentenceExamples.filter((e) => e.y).length} rationales)`);

  // ---- extraQuote: the bar for a second quote, by F1 of "a rationale quoted" and quote precision
  const quoteRows: Array<Array<string | number>> = [];
  let extraQuote = 0.5;
  let bestF1 = -1;
  for (const bar of grid) {
    const c = { ...provisional, evidence: { ...provisional.evidence, extraQuote: bar } };
    let hit = 0;
    let quotes = 0;
    let good = 0;
    for (const q of scifactFit) {
      const decision = decideAnswerability(q.judged.evidence, c);
      const chosen = selectEvidence(decision.answering, c, q.judged.question.intent);
      let any = false;
      for (const quote of chosen) {
        quotes++;
        if ((q.claim!.rationales.get(quote.evidence.paper.id) ?? []).some((m) => overlaps(m, quote.sentence.sentence))) (good++, (any = true));
      }
      if (any) hit++;
    }
    const recall = hit / scifactFit.length;
    const precision = quotes ? good / quotes : 0;
    const f1 = recall + precision ? (2 * recall * precision) / (recall + precision) : 0;
    if (f1 > bestF1 + 1e-12) (bestF1 = f1), (extraQuote = bar);
    quoteRows.push([bar.toFixed(3), recall, precision, f1]);
  }
  provisional.evidence.extraQuote = extraQuote;

  // ---- support threshold for LLM claims
  const supportScores: Array<{ s: number; y: boolean }> = [];
  for (const q of scifactFit) {
    const terms = mustCover(analyseQuestion(q.claim!.text, scifact.corpus.termStats));
    for (const [docId, marked] of q.claim!.rationales) {
      const paper = scifact.byId.get(docId);
      if (!paper) continue;
      for (const s of paperText(paper).sentences) supportScores.push({ s: supportOf(terms, s), y: marked.some((m) => overlaps(m, s)) });
    }
  }
  let supportThreshold = 0.5;
  let supportF1 = -1;
  for (const t of grid) {
    const tp = supportScores.filter((x) => x.y && x.s >= t).length;
    const fp = supportScores.filter((x) => !x.y && x.s >= t).length;
    const fn = supportScores.filter((x) => x.y && x.s < t).length;
    const f1 = tp ? (2 * tp) / (2 * tp + fp + fn) : 0;
    if (f1 > supportF1 + 1e-12) (supportF1 = f1), (supportThreshold = t);
  }
  provisional.support.threshold = supportThreshold;

  const calibration = round(provisional);
  writeFileSync(CALIBRATION_FILE, `${JSON.stringify(calibration, null, 2)}\n`);

  const counts = groups.map((g) => `${questions.filter((q) => q.group === g).length} ${g}`).join(', ');
  const sections: Array<[string, string]> = [
    [
      'Calibration: the gate (fit data only)',
      `Fitted on ${counts}; ${examples.length} (question, paper) pairs.\n\n` +
        table(['feature', 'weight'], [...ANSWERABILITY_FEATURES.map((f, i) => [f, calibration.answerability.weights[i]] as [string, number]), ['(bias)', calibration.answerability.bias]]) +
        `\n\nFocus cut-offs (the focus score, rarity × specificity, of a missing topic word that rules a paper out): ${calibration.answerability.focus.plain} for a plain word, ${calibration.answerability.focus.named} for a name or a word in a qualifier phrase; ` +
        `without them, at the same threshold, the group errors would be ${withoutFocus.map((x) => x.toFixed(3)).join(' / ')}.\n\n` +
        `Risk–coverage on the fit data, by the best probability among papers lacking no focus term (share of each group on the wrong side of the threshold):\n\n` +
        table(['threshold', ...groups.map((g) => (g.includes('unanswerable') ? `false answers: ${g.replace(' (unanswerable)', '')}` : `false refusals: ${g.replace(' (answerable)', '')}`))], riskRows) +
        `\n\nBar for a second or third paper (right paper cited = share of answerable fit questions citing a source/rationale paper; precision = share of cited papers that are one):\n\n` +
        table(['extraPaper', 'right paper cited', 'citation precision', 'F1'], paperRows.filter((r, i) => i % 2 === 0 || r[0] === 'never' || Number(r[0]) === extraPaper)),
    ],
    [
      'Calibration: evidence and support (SciFact train claims)',
      `Evidence model fitted on ${sentenceExamples.length} sentences of the rationale papers retrieval found (${sentenceExamples.filter((e) => e.y).length} marked as rationales).\n\n` +
        table(['feature', 'weight'], [...EVIDENCE_FEATURES.map((f, i) => [f, calibration.evidence.weights[i]] as [string, number]), ['(bias)', calibration.evidence.bias]]) +
        `\n\nSecond-quote bar (rationale quoted = share of claims with a rationale among the quotes):\n\n` +
        table(['extraQuote', 'rationale quoted', 'quote precision', 'F1'], quoteRows.filter((_, i) => i % 3 === 2 || Math.abs(grid[i] - extraQuote) < 1e-9)) +
        `\n\nChosen: extraQuote ${calibration.evidence.extraQuote}; LLM claim support threshold ${calibration.support.threshold} (F1 ${supportF1.toFixed(3)} separating rationale sentences from the rest of their abstracts).`,
    ],
  ];
  return { calibration, sections };
}

function round(c: Calibration): Calibration {
  const r = (x: number) => Math.round(x * 1e4) / 1e4;
  return {
    ...c,
    answerability: { ...c.answerability, weights: c.answerability.weights.map(r), bias: r(c.answerability.bias), threshold: r(c.answerability.threshold), extraPaper: r(c.answerability.extraPaper), focus: { plain: r(c.answerability.focus.plain), named: r(c.answerability.focus.named) } },
    evidence: { ...c.evidence, weights: c.evidence.weights.map(r), bias: r(c.evidence.bias), extraQuote: r(c.evidence.extraQuote) },
    support: { threshold: r(c.support.threshold) },
  };
}
