// The answer layer's fitted parameters, read from calibration.json, which `npm run eval --
// --calibrate` writes (bench/eval/calibrate.ts) and which is committed. Nothing that decides
// whether to answer, or which sentence to quote, is a hand-set constant: it is a weight here.
import calibrationFile from './calibration.json' with { type: 'json' };

/** A logistic model: P = 1 / (1 + e^-(bias + Σ weight·feature)). */
export interface LogisticModel<F extends string> {
  features: F[];
  weights: number[];
  bias: number;
}

export const ANSWERABILITY_FEATURES = ['coverage', 'context', 'sentence', 'missingRarity', 'missingProper', 'missingQualifier', 'missingUnknown', 'lexical', 'dense', 'retrieval'] as const;
export type AnswerabilityFeature = (typeof ANSWERABILITY_FEATURES)[number];

export const EVIDENCE_FEATURES = ['coverage', 'context', 'frame', 'density', 'passage', 'dense', 'numbers', 'findings', 'implications', 'methods', 'position', 'length'] as const;
export type EvidenceFeature = (typeof EVIDENCE_FEATURES)[number];

export interface Calibration {
  /** The embedding model the dense features were measured with. */
  embeddingModel: string;
  fittedAt: string;
  /**
   * P(a paper answers the question); a paper answers when it reaches `threshold` and lacks no focus
   * term: a topic word of the question whose focus score (`focusScore`: rarity × specificity, or rarity
   * alone in an "among …" phrase the corpus has no word of) reaches `focus.plain`, or
   * `focus.named` for a name or a word in a qualifier phrase ("in Norway", "among veterans").
   * Papers after the first must reach `extraPaper`: they are cited only when they are evidence on their own.
   */
  answerability: LogisticModel<AnswerabilityFeature> & { threshold: number; focus: { plain: number; named: number }; extraPaper: number };
  /** P(a sentence is the evidence a reader would mark); quotes beyond the first need `extraQuote`. */
  evidence: LogisticModel<EvidenceFeature> & { extraQuote: number };
  /** A written claim counts as supported by a sentence holding this share of its topic words. */
  support: { threshold: number };
}

export function logistic<F extends string>(model: LogisticModel<F>, x: Record<F, number>): number {
  let z = model.bias;
  model.features.forEach((f, i) => (z += model.weights[i] * x[f]));
  return 1 / (1 + Math.exp(-z));
}

const fitted = calibrationFile as Calibration;

/**
 * The calibration for the embedding model in use. Dense similarities are on another scale for
 * another model, so for a model the file was not fitted with, the dense weights are dropped (and
 * `fitted` is false), until `npm run eval -- --calibrate` is run with that model.
 */
export function calibrationFor(modelId: string): { calibration: Calibration; fitted: boolean } {
  if (modelId === fitted.embeddingModel) return { calibration: fitted, fitted: true };
  const withoutDense = <F extends string>(m: LogisticModel<F>) => ({ ...m, weights: m.weights.map((w, i) => (m.features[i] === 'dense' ? 0 : w)) });
  return {
    calibration: { ...fitted, answerability: { ...fitted.answerability, ...withoutDense(fitted.answerability) }, evidence: { ...fitted.evidence, ...withoutDense(fitted.evidence) } },
    fitted: false,
  };
}
