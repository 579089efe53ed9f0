// Which sentences to quote from the papers that answer. Within a paper, sentences are ranked by the
// fitted evidence model (how likely a reader would mark the sentence as the evidence); the first
// answering paper gives its best eligible sentence, and a further quote, from it or from another
// answering paper, is added only when it is strong evidence on its own (`extraQuote`, fitted).
import { logistic, type Calibration, type EvidenceFeature } from './calibration.js';
import type { JudgedPaper } from './answerability.js';
import type { PaperEvidence, SentenceEvidence } from './paper-evidence.js';
import type { QuestionIntent } from './question.js';

export interface Quote {
  evidence: PaperEvidence;
  sentence: SentenceEvidence;
  /** The evidence model's probability for this sentence. */
  probability: number;
}

/** The measurements the evidence model weighs, for one sentence. */
export function evidenceFeatures(s: SentenceEvidence, sentenceCount: number): Record<EvidenceFeature, number> {
  const role = s.sentence.role;
  return {
    coverage: s.coverage,
    context: s.context,
    frame: s.frame,
    density: s.density,
    passage: s.passage,
    dense: s.dense,
    numbers: s.numbers,
    findings: role === 'Findings' ? 1 : 0,
    implications: role === 'Implications' ? 1 : 0,
    methods: role === 'Methods and samples' ? 1 : 0,
    position: sentenceCount > 1 ? s.sentence.index / (sentenceCount - 1) : 0,
    length: Math.min(2, Math.log1p(s.sentence.text.length / 100)),
  };
}

/** A paper's eligible sentences, most probable evidence first. */
export function rankSentences(e: PaperEvidence, calibration: Calibration): Array<{ sentence: SentenceEvidence; probability: number }> {
  return e.sentences
    .filter((s) => s.eligible)
    .map((sentence) => ({ sentence, probability: logistic(calibration.evidence, evidenceFeatures(sentence, e.sentences.length)) }))
    .sort((a, b) => b.probability - a.probability || a.sentence.sentence.index - b.sentence.sentence.index);
}

/** How long an answer may get: limits on reading, not decisions on evidence. */
export interface SelectOptions {
  maxPapers?: number;
  maxQuotes?: number;
}

/**
 * The quotes of an answer: every answering paper (each has passed the gate on its own) gives its
 * best eligible sentence; a second sentence of the same paper must be strong evidence itself.
 * @example selectEvidence(decision.answering, calibration, 'finding')[0].sentence.sentence.text
 */
export function selectEvidence(answering: JudgedPaper[], calibration: Calibration, intent: QuestionIntent, options: SelectOptions = {}): Quote[] {
  const maxPapers = options.maxPapers ?? 3;
  const maxQuotes = options.maxQuotes ?? 4;
  const quotes: Quote[] = [];
  const seconds: Quote[] = [];
  for (const { evidence } of answering.slice(0, maxPapers)) {
    const ranked = rankSentences(evidence, calibration);
    // A count is answered where the abstract first gives it (the sample), not where it is recounted.
    if (intent === 'count') ranked.sort((a, b) => a.sentence.sentence.index - b.sentence.sentence.index);
    const [first, second] = ranked;
    if (!first) continue;
    quotes.push({ evidence, ...first });
    // A count has one answer, and a title is all a title-only paper has.
    if (second && intent !== 'count' && !evidence.titleOnly && second.probability >= calibration.evidence.extraQuote) seconds.push({ evidence, ...second });
  }
  return [...quotes, ...seconds.sort((a, b) => b.probability - a.probability)].slice(0, maxQuotes);
}
