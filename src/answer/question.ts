// What a question asks for and which of its words must be covered. Two kinds of words matter
// differently: topic words name a population, place, intervention or outcome ("veterans", "Hong
// Kong", "self-stigma"), and an answer must be about them; frame words say what shape the answer
// takes or how things relate ("which aspects", "what helps", "stayed the same", "does X affect Y"),
// and an abstract answers in its own words ("remained unchanged"). A missing frame word is no
// reason to refuse; a missing topic word is the reason.
import { stem, words, isStopword } from '../text/terms.js';
import { specificity } from '../text/everyday-words.js';
import type { TermStats } from '../store/lexical-index.js';

export type QuestionIntent = 'finding' | 'count' | 'method' | 'aim' | 'list' | 'yesno' | 'comparison';

export interface QuestionTerm {
  /** The stem, as the indexes store it. */
  term: string;
  /** The word as the question wrote it, for messages ("None of the abstracts mention veterans"). */
  surface: string;
  /** Inverse document frequency in the corpus. */
  idf: number;
  /** idf / the idf of a word the corpus has never seen: 0..1, comparable across corpora. */
  rarity: number;
  /** A frame word: describes the answer's shape or a relation, never a topic of its own. */
  frame: boolean;
  /** Capitalised inside the question, or an acronym: a place, a programme, a scale, a drug. */
  proper: boolean;
  /** All capitals (and digits): may be spelt out in the abstract ("HMO", "health maintenance organization"). */
  acronym: boolean;
  /** Written in parentheses: an alias of words beside it ("vitamin B6 (VB6)"), not a topic of its own. */
  alias: boolean;
  /** Appears somewhere in the corpus. */
  known: boolean;
  /** How far from everyday speech the word is (0 = "get", 1 = a word spoken English never uses). */
  specificity: number;
  /** Inside a qualifier phrase ("among veterans", "in Norway", "with dementia"): names who, where or what. */
  qualifier: boolean;
  /** In a phrase naming who ("among police officers") none of whose words the corpus has; not "among young people". */
  novel: boolean;
  /** How much the word counts: idf × specificity. */
  weight: number;
  /** What a follow-up swaps in ("children" in "What about children?"): a paper that lacks it does not answer. */
  required: boolean;
}

export interface AnalysedQuestion {
  text: string;
  intent: QuestionIntent;
  terms: QuestionTerm[];
  /** Numbers written in the question ("2001", "50"), which a good answer sentence repeats. */
  numbers: string[];
  /** For a count: whether it counts people ("how many participants") or something else ("how long"). */
  counts: 'people' | 'other' | null;
  /** For a list: the stem of what is listed ("phase" in "what phases…"), which the answer must name. */
  listed: string | null;
}

export type { TermStats } from '../store/lexical-index.js';

// Frame words, written as words and stemmed once. They are a linguistic list, like stopwords, not
// a tuned one: answer shapes, relations, generic people and quantities, question verbs.
const SHAPE_WORDS = [
  'aspect aspects phase phases stage stages step steps type types kind kinds sort sorts way ways thing things',
  'factor factors element elements component components part parts theme themes issue issues area areas',
  'feature features characteristic characteristics reason reasons example examples main key common',
  'benefit benefits challenge challenges barrier barriers facilitator facilitators problem problems',
  'outcome outcomes result results effect effects impact impacts role roles experience experiences',
  'difference differences similarity similarities change changes',
];
// How things relate, and what a question asks of its topic ("is X worthwhile?"); an abstract
// answers in its own words, with results.
const RELATION_WORDS = [
  'affect affects affected influence influences influenced predict predicts predicted associate associated association',
  'link linked links relate related relation relationship cause causes caused lead leads led prevent prevents',
  'help helps helped helpful improve improves improved improvement reduce reduces reduced reduction increase increases',
  'increased decrease decreases decreased lower lowers raise raises contribute contributes depend depends determine',
  'work works worked working effective effectiveness useful',
  'compare compared comparison differ differs better worse best worst good bad',
  'worthwhile justifiable justified feasible feasibility necessary useful usefulness safe safety accurate accuracy reliable valid validity',
  'appropriate beneficial important possible true real really actually still novel optimal ideal adequate sufficient valuable',
  'warranted required recommended advisable acceptable efficacious efficacy successful success role value helpful',
];
const OTHER_FRAME_WORDS = [
  // verbs that carry no relation of their own
  'use used using make makes made get gets got go goes went gone going happen happens happened stay stays stayed',
  'remain remains remained same keep keeps kept come comes came become becomes became seem seems seemed',
  'need needs needed want wants wanted like likely',
  // generic people
  'people person persons individual individuals participant participants subject subjects patient patients someone',
  // quantities and time
  'many much number numbers proportion percentage share amount size large big high low higher more less fewer',
  'long often time times year years month months week weeks day days first start late later new old age',
  // question verbs
  'describe described explain explained mean means think thought feel felt say said see saw tell told look ask asked',
  'identify identified show shown study studied know known measure measured assess assessed examine examined',
  'available exist exists any whether',
];
const stems = (lines: string[]) => new Set(lines.join(' ').split(' ').map((w) => stem(w)));
const SHAPES = stems(SHAPE_WORDS);
const RELATIONS = stems(RELATION_WORDS);
const SHAPES_OR_RELATIONS = new Set([...SHAPES, ...RELATIONS]);
const FRAME = new Set([...SHAPES_OR_RELATIONS, ...stems(OTHER_FRAME_WORDS)]);

/**
 * Whether a title speaks to what the question asks of its topic: it names every answer shape the
 * question asks for ("phases", "role") and, when the question asks how things relate or how good
 * something is, a relation of its own ("impact" for "affect"). Generic people, times and question
 * verbs ask nothing of a title.
 */
export function titleAnswers(q: AnalysedQuestion, title: { has(term: string): boolean }): boolean {
  const frame = q.terms.filter((t) => t.frame && !t.alias);
  const shapes = frame.filter((t) => SHAPES.has(t.term));
  const relates = frame.some((t) => RELATIONS.has(t.term) && !SHAPES.has(t.term));
  return shapes.every((t) => title.has(t.term)) && (!relates || [...SHAPES_OR_RELATIONS].some((r) => title.has(r)));
}

export function isFrameTerm(term: string): boolean {
  return FRAME.has(term);
}

const LIST_NOUN = /\b(?:what|which) (?:\w+ ){0,2}?(phases|stages|themes|factors|aspects|challenges|benefits|barriers|types|kinds|ways|components|reasons|steps|emotions|problems|features|outcomes|strategies|questionnaires|measures|subthemes)\b/i;

const INTENTS: Array<[QuestionIntent, RegExp]> = [
  ['count', /\bhow (many|much|large|big|old|long|often)\b|\bwhat (was|were|is|are) the (number|proportion|percentage|sample size|age)\b|\bsample size\b|\bhow many\b/i],
  ['aim', /\b(aims?|purpose|objectives?|goals?) of (the|this|that|their)\b|\bwhat did (the|this|that) (study|paper|article|authors?) (aim|set out|try) to\b|\bwhy was (the|this) study\b/i],
  ['method', /\bhow (was|were|did|do|does|is|are)\b.*\b(measur|assess|evaluat|stud|collect|analy|conduct|recruit|interview|survey|design|test|sampl)|\bwhat (method|methods|design|measure|measures|instrument|instruments|questionnaire|questionnaires|scale|scales|approach|data)\b|\bwhich (method|methods|questionnaire|questionnaires|measure|measures|instrument|instruments|scale|scales)\b/i],
  ['comparison', /\bcompar|\bversus\b|\bvs\.?\s|\bdiffer|\b(better|worse|more|less) than\b|\bor (worse|better)\b/i],
  ['list', LIST_NOUN],
  ['yesno', /^\s*(is|are|was|were|does|do|did|can|could|should|has|have|had|will|would|may|might|must)\b/i],
];

/**
 * Reads a question's intent and words against the corpus statistics.
 * @example analyseQuestion('Which aspects of stigma stayed the same?', stats).intent // 'list'
 */
export function analyseQuestion(text: string, stats: TermStats): AnalysedQuestion {
  const intent = INTENTS.find(([, re]) => re.test(text))?.[0] ?? 'finding';
  const terms = new Map<string, QuestionTerm>();
  const tokens = surfaceTokens(text);
  // A phrase naming who is novel when the corpus has none of its words: then even an everyday word
  // in it ("police") names a subject nobody covers, where "young" in "young people" may be wording.
  const seen = new Set<number>();
  for (const t of tokens) {
    if (t.phrase >= 0 && words(t.word).some((w) => !isStopword(w) && stats.documentFrequency(stem(w)) > 0)) seen.add(t.phrase);
  }
  for (const token of tokens) {
    const folded = words(token.word);
    for (const w of folded) {
      if (w.length < 2 || isStopword(w)) continue;
      const term = stem(w);
      if (terms.has(term)) continue;
      const idf = stats.idf(term);
      const spec = token.proper ? 1 : specificity(w);
      const alias = token.inParentheses;
      terms.set(term, {
        term,
        surface: token.word,
        idf,
        rarity: Math.min(1, idf / stats.maxIdf),
        frame: FRAME.has(term) || alias,
        alias,
        proper: token.proper,
        acronym: token.acronym,
        known: stats.documentFrequency(term) > 0,
        specificity: spec,
        qualifier: token.qualifier,
        novel: token.population && !seen.has(token.phrase),
        weight: idf * spec,
        required: false,
      });
    }
  }
  const numbers = [...new Set(text.match(/\b\d+(?:\.\d+)?\b/g) ?? [])];
  const counts = intent !== 'count' ? null : /\bhow many\b|\bnumber of\b|\bsample size\b/i.test(text) ? 'people' : 'other';
  const listedWord = intent === 'list' ? LIST_NOUN.exec(text)?.[1] : undefined;
  return { text, intent, terms: [...terms.values()], numbers, counts, listed: listedWord ? stem(listedWord.toLowerCase()) : null };
}

interface SurfaceToken {
  word: string;
  proper: boolean;
  acronym: boolean;
  qualifier: boolean;
  inParentheses: boolean;
  /** First word of the question, or of a sentence or clause after a colon: capitalised by style. */
  opening: boolean;
  /** Which qualifier phrase the word is in (counting from 0), or -1. */
  phrase: number;
  /** The phrase names who: it opens with "among" ("among police officers"). */
  population: boolean;
}

// A qualifier phrase opens with one of these and runs over its noun phrase: "among military
// veterans", "in Hong Kong", "with eating disorders", "for refugees".
const QUALIFIER_OPENERS = new Set(['among', 'amongst', 'in', 'for', 'with', 'within', 'at', 'across', 'from']);
// "among" always names who; "with kids", "at home" may be the user's words for what a paper says otherwise.
const POPULATION_OPENERS = new Set(['among', 'amongst']);
const LATIN_HOW = new Set(['vivo', 'vitro', 'situ', 'silico', 'utero', 'toto', 'extenso']);
const INSIDE_PHRASE = new Set(['the', 'a', 'an', 'their', 'his', 'her', 'its', 'our', 'of', 'and', 'or', 'who', 'living', 'having']);

/** The question's words as written, with capitalisation read before it is folded away. */
function surfaceTokens(text: string): SurfaceToken[] {
  const out: SurfaceToken[] = [];
  let sentenceStart = true;
  let inQualifier = 0;
  let opener = '';
  let phrases = 0;
  let depth = 0;
  for (const m of text.matchAll(/[\p{L}\p{N}][\p{L}\p{N}'’-]*|[.!?,;:()]/gu)) {
    const word = m[0].replace(/['’]s$/, '').replace(/-+$/, '');
    if (word === '(' || word === ')') {
      depth = Math.max(0, depth + (word === '(' ? 1 : -1));
      continue;
    }
    if (/^[.!?,;:]$/.test(word)) {
      // After a colon a capital is style too ("HTLV-I infection: Variant form of HAM/TSP?").
      if (/[.!?:]/.test(word)) sentenceStart = true;
      inQualifier = 0;
      continue;
    }
    const lower = word.toLowerCase();
    if (QUALIFIER_OPENERS.has(lower)) {
      inQualifier = 4;
      opener = lower;
      phrases++;
      sentenceStart = false;
      continue;
    }
    // "in vivo", "in vitro": how a thing was studied, not who or where.
    if (opener === 'in' && inQualifier === 4 && LATIN_HOW.has(lower)) inQualifier = 0;
    // The phrase goes on over articles, "of", "and"; another function word or a verb-like stopword ends it.
    if (inQualifier > 0 && isStopword(lower) && !INSIDE_PHRASE.has(lower)) inQualifier = 0;
    // "among police officers who work nights": what follows "who" says what they do, not who they are.
    if (inQualifier > 0 && lower === 'who') {
      phrases++;
      opener = lower;
    }
    const letters = word.replace(/[^\p{L}]/gu, '');
    const acronym = letters.length >= 2 && letters.length <= 8 && letters === letters.toUpperCase() && /\p{Lu}/u.test(letters);
    // "Hong Kong", "Norway", "ReConnect", "PHQ-9"; not the question's first word, not "I", and not
    // a lab identifier ("VB6", "A-769662", "eIF3"), which names a thing but not who or where.
    const capitalised = /^\p{Lu}/u.test(word) || /\p{Ll}\p{Lu}/u.test(word);
    const identifier = /\p{N}/u.test(word) || /^\p{Ll}+\p{Lu}/u.test(word);
    const proper = !identifier && (acronym || (capitalised && !sentenceStart && word !== 'I'));
    const qualifier = inQualifier > 0 && !isStopword(lower);
    if (inQualifier > 0 && !INSIDE_PHRASE.has(lower)) inQualifier--;
    out.push({ word, proper, acronym, qualifier, inParentheses: depth > 0, opening: sentenceStart, phrase: qualifier ? phrases - 1 : -1, population: qualifier && POPULATION_OPENERS.has(opener) });
    sentenceStart = false;
  }
  // A question in capitals says nothing with its case: no word in it is a name or an acronym.
  if (!/\p{Ll}/u.test(text)) {
    for (const t of out) t.proper = t.acronym = false;
    return out;
  }
  // "Digital Tomosynthesis: A Viable Alternative…?": when the content words are (all but one in
  // five) capitalised, a capital is the style, not a name; only an acronym or an inner capital
  // ("ReConnect") still marks one. "Did patients in New South Wales differ?" keeps its names.
  const content = out.filter((t) => !t.opening && !t.acronym && t.word.length >= 4 && /^\p{L}/u.test(t.word) && !isStopword(t.word.toLowerCase()));
  const capitals = content.filter((t) => /^\p{Lu}/u.test(t.word)).length;
  if (capitals >= 3 && content.length - capitals <= capitals / 5) for (const t of out) t.proper &&= t.acronym || /\p{Ll}\p{Lu}/u.test(t.word);
  return out;
}

// "Does peer support actually help people?", "do anti-stigma campaigns work", "the effect of X on
// Y": the question is whether something changes things, so only a finding that says which way
// (or that nothing changed) answers it; a paper that merely describes X does not. The verb must be
// a verb: not "their work", not "help-seeking"; and "side effects of a drug" asks about harms.
const EFFECT_VERB = String.raw`(?<!\b(?:their|the|a|an|his|her|its|our|my|your|of|in|at|for)\s)\b(?:help(?:s|ed)?|work(?:s|ed)?|improve[sd]?|reduce[sd]?|increase[sd]?|decrease[sd]?|prevent(?:s|ed)?|affect(?:s|ed)?|benefit(?:s|ed)?|change[sd]?)\b(?![-'’])`;
const EFFECT = new RegExp(
  [
    String.raw`^\s*(?:does|do|did|can|could|will|would|has|have|is|are)\b.*${EFFECT_VERB}`,
    String.raw`^\s*how (?:well |much )?(?:does|do|did|can|could)\b.*${EFFECT_VERB}`,
    String.raw`\b(?:effective|beneficial|make an? difference)\b`,
    String.raw`\b(?:got|get|gets|getting|gotten) (?:any )?(?:better|worse)\b`,
    String.raw`(?<!\bside\s)\b(?:effects?|effectiveness|impacts?) of\b`,
  ].join('|'),
  'i',
);

/** Whether the question asks if something has an effect (see EFFECT). */
export function asksAboutEffect(q: AnalysedQuestion): boolean {
  return EFFECT.test(q.text);
}

/** Topic words: the terms an answer must be about. */
export function topicTerms(q: AnalysedQuestion): QuestionTerm[] {
  return q.terms.filter((t) => !t.frame);
}
