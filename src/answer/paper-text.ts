// A paper's text as the answer layer reads it: the abstract's sentences with exact offsets, their
// terms, what each sentence is doing (aim, method, finding, implication), and the cues that rule a
// sentence out as an answer (a question, "little is known…"). The same work for every question, so
// it is done once per paper object and kept as long as the paper is.
import type { Paper } from '../types.js';
import { splitSentences } from '../text/sentences.js';
import { contentTerms } from '../text/terms.js';
import { TermSet } from '../text/term-set.js';
import { themeOf, type ThemeName } from './sentence-role.js';
import type { QuestionTerm } from './question.js';

export interface PaperSentence {
  /** Offsets into the field the text comes from (the abstract, or the title for a title-only paper). */
  start: number;
  end: number;
  text: string;
  field: 'abstract' | 'title';
  /** Position among the paper's sentences. */
  index: number;
  terms: TermSet;
  /** The text lowercased and stripped of accents, for spelling out acronyms. */
  folded: string;
  role: ThemeName;
  /** States a gap rather than a finding: "Little is known about…", "It remains unclear whether…", "Further research is needed…". */
  background: boolean;
  /** Ends with a question mark: asks, does not answer. */
  question: boolean;
  /** Contains a count or a measure (digits or number words). */
  hasNumber: boolean;
  /** Counts people: "193 psychiatric outpatients", "ten peer support specialists", "N = 24". */
  countsPeople: boolean;
}

export interface PaperText {
  /** The abstract's sentences; for a paper with only a title, the title as its one sentence. */
  sentences: PaperSentence[];
  title: TermSet;
  /** Every term of the title and abstract. */
  all: TermSet;
  /** Title and abstract, lowercased, for spelling out acronyms. */
  folded: string;
  titleOnly: boolean;
}

const BACKGROUND = /\b(little|less|not much) is known\b|\bremains? (unclear|unknown|uncertain|controversial|poorly understood|to be (determined|established))\b|\b(is|are|was|were) (not|poorly|not well|incompletely) (yet )?understood\b|\bfew (studies|data)\b|\b(has|have) (not|never|rarely) been (studied|examined|investigated|explored|evaluated|assessed|reported|tested)\b|\bit is (unclear|unknown|not known)\b|\b(unknown|unclear) (whether|if|how)\b|\bno (previous )?(study|studies|research|data) (has|have)\b|\black of (evidence|data|research)\b|\b(further|more|additional|future) (research|understanding|studies|study|work|investigation|evaluation|exploration|knowledge)\b[^.;]*\b(is|are) (needed|required|warranted|necessary)\b|\b(research|studies|evidence) (is|are) (needed|required|warranted|lacking)\b/i;
const NUMBER = /\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|thousand|dozen|half|third|quarter)\b/i;

const NUMBER_WORD = '(?:\\d[\\d,.]*|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|thousand)';
const PEOPLE = '(?:participants?|patients?|outpatients?|inpatients?|people|persons?|individuals?|subjects?|women|men|mothers?|fathers?|parents?|children|adolescents?|youths?|adults?|users?|respondents?|students?|specialists?|peers?|supporters?|workers?|staff|nurses?|physicians?|doctors?|families|carers?|caregivers?|volunteers?|cases|members|veterans?|employees?|clients?|survivors?|infants?|pairs|couples|dyads)';
const COUNTS_PEOPLE = new RegExp(`\\bN\\s*=\\s*\\d|\\b${NUMBER_WORD}(?:[\\s-]+[\\p{L}-]+){0,3}?[\\s-]+${PEOPLE}\\b`, 'iu');

const memo = new WeakMap<Paper, PaperText>();

const fold = (text: string) => text.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase();

/**
 * @example paperText(paper).sentences[0] // { start: 0, end: 96, text: 'The current study…', role: 'Aims and context', … }
 */
export function paperText(paper: Paper): PaperText {
  let t = memo.get(paper);
  if (t) return t;
  const abstract = paper.abstract ?? '';
  const spans = abstract ? splitSentences(abstract) : [];
  let sentences: PaperSentence[];
  if (spans.length) {
    sentences = spans.map((span, index) => {
      const text = abstract.slice(span.start, span.end);
      return {
        ...span,
        text,
        field: 'abstract' as const,
        index,
        terms: TermSet.of(text),
        folded: fold(text),
        role: themeOf(text, span.start, paper.sections),
        background: BACKGROUND.test(text),
        question: /\?["”’)]*$/.test(text),
        hasNumber: NUMBER.test(text),
        countsPeople: COUNTS_PEOPLE.test(text),
      };
    });
  } else if (paper.title) {
    const text = paper.title;
    sentences = [{ start: 0, end: text.length, text, field: 'title', index: 0, terms: TermSet.of(text), folded: fold(text), role: 'Findings', background: false, question: /\?$/.test(text), hasNumber: NUMBER.test(text), countsPeople: false }];
  } else {
    sentences = [];
  }
  const title = TermSet.of(paper.title ?? '');
  t = {
    sentences,
    title,
    all: new TermSet([...title.terms, ...contentTerms(abstract)]),
    folded: fold(`${paper.title ?? ''} ${abstract}`),
    titleOnly: spans.length === 0 && Boolean(paper.title),
  };
  memo.set(paper, t);
  return t;
}

/**
 * Whether a span (its terms and folded text) mentions a question's word: the same stem, or, for an
 * acronym, its words spelt out in that same span.
 */
export function mentions(term: QuestionTerm, terms: TermSet, folded: string): boolean {
  return terms.has(term.term) || (term.acronym && spellsOut(folded, term.surface));
}

/**
 * Whether a text spells out an acronym: "HMO" in "a health maintenance organization".
 * @example spellsOut('a health maintenance organization in north carolina', 'HMO') // true
 */
export function spellsOut(folded: string, acronym: string): boolean {
  const letters = acronym.toLowerCase().replace(/[^a-z]/g, '');
  if (letters.length < 2 || letters.length > 6) return false;
  const glue = '(?:[\\s-]+(?:of|and|the|for|in|on|to|with|&)){0,2}[\\s-]+';
  const pattern = new RegExp(`\\b${[...letters].map((l) => `${l}[a-z]*`).join(glue)}\\b`);
  return pattern.test(folded);
}
