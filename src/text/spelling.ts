// A misspelt word finds nothing: "reponse" is in no abstract, so the question is searched without
// it and then refused for lacking it. Before anything else reads the question, a word that neither
// the library nor English knows is replaced by a word of both that it is a typing slip away from:
// one letter left out ("suport", "reponse") or two letters swapped ("stigam").
//
// Only those two slips, because the others make real words out of real words: a letter too many
// or a letter changed turns "carers" into "cares", "statins" into "statics", "omental" into
// "mental", and the word lists that guard real words (spoken American English, and SCOWL's
// dictionary for written and British words) know few medical ones. The replacement must itself
// be an English word ("response", not a string that merely stems like one). Names are left alone
// ("ReConect" may be a programme's name, or a typo of one), and a word the library lacks is a
// reason to refuse, which respelling must not hide.
import { isStopword, stemOnce, words } from './terms.js';
import { isEnglishWord } from './everyday-words.js';
import type { TermStats } from '../store/lexical-index.js';

export interface Respelling {
  from: string;
  to: string;
}

const LETTERS = 'abcdefghijklmnopqrstuvwxyz';
/** Shorter words have too many neighbours ("ileum", "ilium") to guess which was meant. */
const MIN_LENGTH = 6;
/** Each try looks up some 27 variants per letter; a question has a few typos, not hundreds. */
const MAX_TRIES = 12;

/**
 * The words `w` is a slip away from: a letter put back, or two neighbours swapped back. Not a
 * letter before the first: a typist seldom drops it, and "voiding", "everted" and "valuations"
 * would become "avoiding", "reverted" and "evaluations".
 */
function* slipsAway(w: string): Generator<string> {
  for (let i = 0; i <= w.length; i++) {
    const [a, b] = [w.slice(0, i), w.slice(i)];
    if (b.length > 1 && b[0] !== b[1]) yield a + b[1] + b[0] + b.slice(2);
    if (i > 0) for (const c of LETTERS) yield a + c + b;
  }
}

/** How many abstracts have the word, read as the index reads it (British spellings, stems). */
function documentFrequency(w: string, stats: TermStats): number {
  const [term, ...more] = words(w);
  return term && !more.length ? stats.documentFrequency(stemOnce(term)) : 0;
}

/** Whether `w` may be a misspelling: long enough, letters only, and unknown to the library and to English. */
function misspelt(w: string, stats: TermStats): boolean {
  return w.length >= MIN_LENGTH && /^[a-z]+$/.test(w) && !isStopword(w) && documentFrequency(w, stats) === 0 && !isEnglishWord(w);
}

/** The library's word `word` is a slip away from, when `word` is a misspelling; otherwise null. */
export function respellWord(word: string, stats: TermStats): string | null {
  const w = word.toLowerCase();
  return misspelt(w, stats) ? nearestSlip(w, stats) : null;
}

/** The English word of the library, most abstracts first, that the misspelt `w` is a slip away from. */
function nearestSlip(w: string, stats: TermStats): string | null {
  let best: string | null = null;
  let bestDf = 0;
  for (const v of slipsAway(w)) {
    if (!isEnglishWord(v)) continue;
    const df = documentFrequency(v, stats);
    if (df > bestDf) [best, bestDf] = [v, df];
  }
  return best;
}

/**
 * The question with its misspellings replaced, and which were.
 * @example respell('neutralizing antibodies in reponse to the virus', stats).text // '… in response to …'
 */
export function respell(text: string, stats: TermStats): { text: string; respelled: Respelling[] } {
  const respelled: Respelling[] = [];
  let tries = 0;
  const out = text.replace(/(?<![\p{L}\p{N}])\p{L}+(?:-\p{L}+)*(?![\p{L}\p{N}])/gu, (token, offset: number) => {
    // A capital inside a sentence is a name; a sentence's first word may be any word.
    const before = text.slice(0, offset).replace(/["'‘“(\[]+$/u, '').trimEnd();
    const opening = before === '' || /[.!?:]$/.test(before);
    // Each part of "self-stigam" or "Anti-stigam" on its own.
    const parts = token.split('-');
    const fixed = parts.map((part, i) => {
      const name = /\p{Lu}/u.test(part) && !(opening && i === 0 && /^\p{Lu}\p{Ll}+$/u.test(part));
      if (name || !misspelt(part.toLowerCase(), stats) || ++tries > MAX_TRIES) return part;
      const to = nearestSlip(part.toLowerCase(), stats);
      if (!to) return part;
      respelled.push({ from: part, to });
      return /^\p{Lu}/u.test(part) ? to[0].toUpperCase() + to.slice(1) : to;
    });
    return fixed.some((f, i) => f !== parts[i]) ? fixed.join('-') : token;
  });
  return { text: out, respelled };
}

/** What the reader is told: "Searched for “response”: no indexed abstract has “reponse”." */
export function respelledNotice(respelled: Respelling[]): string | undefined {
  if (!respelled.length) return undefined;
  const quote = (xs: string[]) => xs.map((x) => `“${x}”`).join(', ');
  return `Searched for ${quote(respelled.map((r) => r.to))}: no indexed abstract has ${quote(respelled.map((r) => r.from))}.`;
}
