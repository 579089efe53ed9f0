// One tokenizer for every place that compares words: the BM25 index, evidence-sentence scoring,
// citation checking and the query rewrite. Sharing it keeps "matches" meaning the same thing everywhere.
import { stemmer } from 'stemmer';

const STOPWORDS = new Set(
  (
    'a about above after again against all also am among an and any are as at be because been before being ' +
    'below between both but by can could did do does doing down during each few for from further had has have ' +
    'having he her here hers herself him himself his how i if in into is it its itself just me more most my ' +
    'myself no nor not now of off on once only or other our ours ourselves out over own same she should so ' +
    'some such than that the their theirs them themselves then there these they this those through to too ' +
    'under until up very was we were what when where which while who whom why will with would you your yours ' +
    'yourself yourselves tell show give know say says said please ' +
    // question scaffolding that carries no topic
    'find findings found evidence research study studies paper papers article articles literature abstract ' +
    'abstracts according report reported reports suggest suggests'
  ).split(' '),
);

// "anti-stigma", "antistigma" and "anti stigma" should meet: prefixes are joined to their word.
const HYPHENATED_PREFIX = /\b(anti|non|pre|post|co|re|inter|intra|multi|semi|sub|over|under|mis|counter)[-‐‑](?=\p{L})/gu;

/** Words in a text, lowercased and stripped of accents, in order; stopwords kept. */
export function words(text: string): string[] {
  return (
    text
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase()
      .replace(HYPHENATED_PREFIX, '$1')
      .match(/[\p{L}\p{N}]+/gu) ?? []
  );
}

export function isStopword(word: string): boolean {
  return STOPWORDS.has(word);
}

const stemCache = new Map<string, string>();
/** Porter stem, memoised: the same few thousand words recur across every query. */
export function stem(word: string): string {
  let s = stemCache.get(word);
  if (s === undefined) {
    s = word.length > 3 && !/\d/.test(word) ? stemmer(word) : word;
    if (stemCache.size < 200_000) stemCache.set(word, s);
  }
  return s;
}

/**
 * Content terms: stemmed, stopwords and one-letter tokens dropped.
 * @example contentTerms('Peer supporters in hospitals') // ['peer', 'support', 'hospit']
 */
export function contentTerms(text: string): string[] {
  return words(text)
    .filter((w) => w.length > 1 && !STOPWORDS.has(w))
    .map(stem);
}
