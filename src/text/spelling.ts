// A misspelt word finds nothing: "reponse" is in no abstract, so the question is searched without
// it and then refused for lacking it. Before anything else reads the question, a word that neither
// the library nor spoken English knows is replaced by the library's word one edit away (a letter
// dropped, added, changed, or two swapped), the commonest one if several are. Real words are left
// alone, however unknown to the library: "police" must not become "policy", and a word the
// library lacks is a reason to refuse, which respelling would hide. Names are left alone too
// ("Wales" is not "males").
import { isStopword, stem, stemOnce, words } from './terms.js';
import { isEnglishWord } from './everyday-words.js';
import type { TermStats } from '../store/lexical-index.js';

export interface Respelling {
  from: string;
  to: string;
}

const LETTERS = 'abcdefghijklmnopqrstuvwxyz';
/** Shorter words have too many neighbours one edit away ("ileum", "ilium") to guess which was meant. */
const MIN_LENGTH = 6;
/** Each try looks up some 50 variants per letter; a question has a few typos, not hundreds. */
const MAX_TRIES = 12;

function* oneEditAway(w: string): Generator<string> {
  for (let i = 0; i <= w.length; i++) {
    const [a, b] = [w.slice(0, i), w.slice(i)];
    if (b) yield a + b.slice(1);
    if (b.length > 1) yield a + b[1] + b[0] + b.slice(2);
    for (const c of LETTERS) {
      if (b && c !== b[0]) yield a + c + b.slice(1);
      yield a + c + b;
    }
  }
}

/** Whether `word` may be a misspelling: long enough, letters only, and unknown to the library and to English. */
function misspelt(w: string, stats: TermStats): boolean {
  return w.length >= MIN_LENGTH && /^[a-z]+$/.test(w) && !isStopword(w) && stats.documentFrequency(stem(w)) === 0 && !isEnglishWord(w);
}

/** The library's word one edit from `word`, when `word` is a misspelling; otherwise null. */
export function respellWord(word: string, stats: TermStats): string | null {
  const w = word.toLowerCase();
  if (!misspelt(w, stats)) return null;
  let best: string | null = null;
  let bestDf = 0;
  for (const v of oneEditAway(w)) {
    const df = stats.documentFrequency(stemOnce(v));
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
  const out = text.replace(/(?<![\p{L}\p{N}'’])\p{L}+(?:-\p{L}+)*(?![\p{L}\p{N}'’])/gu, (token, offset: number) => {
    // A capital inside a sentence is a name; a sentence's first word may be any word.
    const before = text.slice(0, offset).trimEnd();
    const opening = before === '' || /[.!?:]$/.test(before);
    if (/\p{Lu}/u.test(token) && !(opening && /^\p{Lu}\p{Ll}+$/u.test(token))) return token;
    // Each part of "self-stigam" on its own; "anti-stigam" as the index reads it, "antistigam".
    const parts = token.includes('-') && words(token).length === 1 ? words(token) : token.split('-');
    const fixed = parts.map((part) => {
      if (!misspelt(part.toLowerCase(), stats) || ++tries > MAX_TRIES) return part;
      const to = respellWord(part, stats);
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
