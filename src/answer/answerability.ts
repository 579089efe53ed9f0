// The one decision of whether to answer: for each retrieved paper, the probability that it answers
// the question, from the whole of what retrieval and reading found (topic coverage of the title and
// abstract, of the best sentence and its neighbours, the rarest topic word it lacks and whether that
// word is a name or unknown to the corpus, the retrieval scores). The weights and the threshold are
// fitted by `npm run eval -- --calibrate`; README, Quality, has the risk–coverage table they come
// from. A question is answered from the papers that clear the threshold, each on its own.
import { logistic, type AnswerabilityFeature, type Calibration } from './calibration.js';
import type { PaperEvidence } from './paper-evidence.js';
import type { QuestionTerm } from './question.js';

export type AnswerabilityFeatures = Record<AnswerabilityFeature, number>;

/** The measurements the model weighs, for one question and one paper. */
export function answerabilityFeatures(e: PaperEvidence): AnswerabilityFeatures {
  let context = 0;
  let sentence = 0;
  for (const s of e.sentences) {
    if (s.context > context) context = s.context;
    if (s.coverage > sentence) sentence = s.coverage;
  }
  const rarest = e.missing[0];
  return {
    coverage: e.coverage,
    context,
    sentence,
    missingRarity: rarest ? focusScore(rarest) : 0,
    missingProper: e.missing.some((t) => t.proper) ? 1 : 0,
    missingQualifier: e.missing.some((t) => t.qualifier) ? 1 : 0,
    missingUnknown: e.missing.some((t) => !t.known) ? 1 : 0,
    lexical: Math.min(1, e.lexical),
    dense: e.dense,
    retrieval: e.retrieval,
  };
}

export interface JudgedPaper {
  evidence: PaperEvidence;
  probability: number;
  /** Focus terms of the question this paper lacks: any one rules it out. */
  lacking: QuestionTerm[];
}

/**
 * How much a missing word weighs as a reason to refuse: rare in the corpus, and not everyday speech.
 * A user says "get back to work" where an abstract never does, so an everyday word counts for
 * less; but in a phrase that names who ("among police officers") and of which the library has no
 * word at all, an everyday word is not the user's phrasing, it is a people nobody studied.
 * "among young people" shares "people" with the library, and "with kids" or "at home" need not
 * name who; both keep the discount.
 */
export function focusScore(t: QuestionTerm): number {
  return t.novel ? t.rarity : t.rarity * t.specificity;
}

/** The question's focus terms that a paper lacks, under the fitted cut-offs. */
export function lackingFocus(e: PaperEvidence, focus: Calibration['answerability']['focus']): QuestionTerm[] {
  return e.missing.filter((t) => t.required || focusScore(t) >= (t.proper || t.qualifier ? focus.named : focus.plain));
}

export interface AnswerabilityDecision {
  answerable: boolean;
  /** The best probability among the papers that lack no focus term (0 when every paper lacks one). */
  probability: number;
  /** Papers that answer: the best one past the threshold, and others that reach `extraPaper` on their own. */
  answering: JudgedPaper[];
  /** Every retrieved paper that has something to quote, judged: those lacking fewest focus terms first, then the most probable. */
  judged: JudgedPaper[];
}

/**
 * @example decideAnswerability(evidence, calibration).answerable // false for "…among veterans?"
 */
export function decideAnswerability(evidence: PaperEvidence[], calibration: Calibration): AnswerabilityDecision {
  const model = calibration.answerability;
  const judged = evidence
    // A paper with nothing it may quote (only gaps and questions, or a title that cannot answer) cannot answer.
    .filter((e) => e.sentences.some((s) => s.eligible))
    .map((e) => ({ evidence: e, probability: logistic(model, answerabilityFeatures(e)), lacking: lackingFocus(e, model.focus) }))
    .sort((a, b) => a.lacking.length - b.lacking.length || b.probability - a.probability || a.evidence.rank - b.evidence.rank);
  const passing = judged.filter((j) => j.probability >= model.threshold && j.lacking.length === 0);
  const answering = passing.filter((j, i) => i === 0 || j.probability >= model.extraPaper);
  return {
    answerable: answering.length > 0,
    probability: Math.max(0, ...judged.filter((j) => j.lacking.length === 0).map((j) => j.probability)),
    answering,
    judged,
  };
}
