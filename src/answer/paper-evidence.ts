// How well each retrieved paper, and each of its sentences, answers a question. Everything here is
// a measurement (coverage of the question's topic words, the retrieval's own passage scores, what a
// sentence is doing); turning measurements into decisions is answerability.ts's job, with weights
// fitted by `npm run eval -- --calibrate`.
import type { Paper } from '../types.js';
import type { Passage, RetrievedPaper } from '../retrieve/retriever.js';
import { mentions, paperText, type PaperSentence } from './paper-text.js';
import { titleAnswers, type AnalysedQuestion, type QuestionIntent, type QuestionTerm } from './question.js';

export interface SentenceEvidence {
  sentence: PaperSentence;
  /** Weighted share of the question's topic words in the sentence (0..1). */
  coverage: number;
  /** The same over the sentence and its neighbours: "Pairing new staff with mentors…" borrows "peers". */
  context: number;
  /** Share of the question's frame words in the sentence ("phases", "challenges"). */
  frame: number;
  /** Share of the sentence's own words that are the question's: how much of it is about what was asked. */
  density: number;
  /** Fused retrieval score of the best retrieved passage holding the sentence; 0 when none does. */
  passage: number;
  /** Dense similarity of that passage to the question. */
  dense: number;
  /** Share of the question's numbers the sentence repeats. */
  numbers: number;
  /** Whether the question's intent lets this sentence answer (a count needs a number…). */
  eligible: boolean;
}

export interface PaperEvidence {
  paper: Paper;
  /** 1-based rank in retrieval. */
  rank: number;
  /** Fused retrieval score (1 = top of every ranking). */
  retrieval: number;
  /** Best passage's BM25 over the most it could score (the sum of the query terms' idf). */
  lexical: number;
  /** Best passage's dense similarity, 0 when dense search did not reach it. */
  dense: number;
  /** Weighted share of the question's topic words found in the title and abstract. */
  coverage: number;
  covered: QuestionTerm[];
  /** Topic words the paper never mentions, the rarest and least everyday first. */
  missing: QuestionTerm[];
  /** Every sentence, in reading order. */
  sentences: SentenceEvidence[];
  titleOnly: boolean;
}

/** Weighted share (idf × specificity) of the terms for which `has` holds. */
export function weightedShare(terms: QuestionTerm[], has: (t: QuestionTerm) => boolean): number {
  let total = 0;
  let hit = 0;
  for (const t of terms) {
    total += t.weight;
    if (has(t)) hit += t.weight;
  }
  return total === 0 ? 0 : hit / total;
}

/** The question's words an answer must be about: its topic words, or all of them when it has none. */
export function mustCover(q: AnalysedQuestion): QuestionTerm[] {
  const topic = q.terms.filter((t) => !t.frame);
  return topic.length ? topic : q.terms;
}

/** The topic word that counts most (idf × specificity) among those the corpus has: what a paper must mention to be about the topic at all. */
export function topicAnchor(q: AnalysedQuestion): QuestionTerm | undefined {
  let best: QuestionTerm | undefined;
  for (const t of mustCover(q)) if (t.known && (!best || t.weight > best.weight)) best = t;
  return best;
}

/** A sentence's best retrieved passage: the highest-scoring passage whose sentences include it. */
function passageOf(passages: Passage[], s: PaperSentence): Passage | undefined {
  let best: Passage | undefined;
  for (const p of passages) if (p.chunk.sentences.some((x) => x.start === s.start) && (!best || p.score > best.score)) best = p;
  return best;
}

/** Which roles answer which intents: a finding answers "what did … find", a method "how was … measured". */
const ROLE_FIT: Record<QuestionIntent, Array<PaperSentence['role']>> = {
  finding: ['Findings', 'Implications'],
  yesno: ['Findings', 'Implications'],
  comparison: ['Findings', 'Implications'],
  list: ['Findings', 'Implications'],
  count: ['Methods and samples', 'Findings'],
  method: ['Methods and samples'],
  aim: ['Aims and context'],
};

/**
 * Measures one retrieved paper against a question.
 * @example paperEvidence(analyseQuestion('What phases do peers go through?', stats), retrieved[0], 1).coverage
 */
export function paperEvidence(q: AnalysedQuestion, r: RetrievedPaper, rank: number): PaperEvidence {
  const text = paperText(r.paper);
  const topic = mustCover(q);
  const frameTerms = q.terms.filter((t) => t.frame);
  const covered = topic.filter((t) => mentions(t, text.all, text.folded));
  const missing = topic.filter((t) => !covered.includes(t)).sort((a, b) => b.rarity * b.specificity - a.rarity * a.specificity);

  // A sentence is credited only with what it says itself; its neighbours' words count in `context`.
  const mentioned = text.sentences.map((s) => q.terms.filter((t) => mentions(t, s.terms, s.folded)));
  const inSentence = mentioned.map((m) => new Set(m.filter((t) => topic.includes(t)).map((t) => t.term)));
  const sentences: SentenceEvidence[] = text.sentences.map((s, i) => {
    const near = new Set([...inSentence[i], ...(inSentence[i - 1] ?? []), ...(inSentence[i + 1] ?? [])]);
    const passage = passageOf(r.passages, s);
    return {
      sentence: s,
      coverage: weightedShare(topic, (t) => inSentence[i].has(t.term)),
      context: weightedShare(topic, (t) => near.has(t.term)),
      frame: frameTerms.length ? frameTerms.filter((t) => s.terms.has(t.term)).length / frameTerms.length : 0,
      // Two question words can meet one loosely matched sentence word ("stigma", "stigmatization"): at most all of it.
      density: s.terms.size ? Math.min(1, mentioned[i].length / s.terms.size) : 0,
      passage: passage?.score ?? 0,
      dense: passage?.dense ?? 0,
      numbers: q.numbers.length ? q.numbers.filter((n) => new RegExp(`(^|\\D)${n.replace('.', '\\.')}(\\D|$)`).test(s.text)).length / q.numbers.length : 0,
      eligible: true,
    };
  });
  applyIntent(q, sentences);
  // A title says what a paper set out to study, not what it found: it answers a question that
  // restates it ("the longitudinal impact of …"), not "what helps … find their role", which asks
  // for a finding no title gives.
  if (text.titleOnly && !titleAnswers(q, text.sentences[0].terms)) for (const e of sentences) e.eligible = false;

  return {
    paper: r.paper,
    rank,
    retrieval: r.score,
    lexical: Math.max(0, ...r.passages.map((p) => p.lexical ?? 0)),
    dense: Math.max(0, ...r.passages.map((p) => p.dense ?? 0)),
    coverage: weightedShare(topic, (t) => covered.includes(t)),
    covered,
    missing,
    sentences,
    titleOnly: text.titleOnly,
  };
}

/**
 * The intent rules. A sentence that asks or states a gap never answers. Where the paper has
 * sentences that fit what the question asks for, only those may answer:
 * - a count of people: a sentence counting people, a method's sample description first;
 * - another count ("how long", "how old"): a sentence with a number;
 * - a list ("what phases…"): a sentence naming what is listed;
 * - otherwise a sentence whose role fits (a finding for "what did … find").
 */
function applyIntent(q: AnalysedQuestion, sentences: SentenceEvidence[]): void {
  for (const e of sentences) e.eligible = !e.sentence.question && !e.sentence.background;
  const open = sentences.filter((e) => e.eligible);
  const tiers: Array<(e: SentenceEvidence) => boolean> = [];
  if (q.counts === 'people') tiers.push((e) => e.sentence.countsPeople && e.sentence.role === 'Methods and samples', (e) => e.sentence.countsPeople);
  else if (q.counts === 'other') tiers.push((e) => e.sentence.hasNumber);
  else if (q.listed) tiers.push((e) => e.sentence.terms.has(q.listed!));
  // A paper that passes the gate is about the topic; its findings answer "what helps" even when they
  // do not repeat the question's words.
  tiers.push((e) => e.sentence.field === 'title' || ROLE_FIT[q.intent].includes(e.sentence.role));
  const fits = tiers.find((t) => open.some(t));
  if (fits) for (const e of sentences) if (!fits(e)) e.eligible = false;
}
