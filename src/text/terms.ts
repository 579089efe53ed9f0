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

// British and American spellings should meet too: a library mixes both ("randomised" / "randomized",
// "oesophageal" / "esophageal", "tumour" / "tumor", "programme" / "program").
const SPELLINGS: Array<[RegExp, string]> = [
  [/^(oesophag|oestr|oedem|foet|coeli|diarrhoe|haem|anaem|paed|leukaem|orthopaed|gynaec|aetiol|caesar|ischaem|anaesth|haemat|dyspnoe|amoeb|apnoe|oesin)/, ''],
  [/(?<=^.{2,}(al|ar|at|an|ot|or|er|ic|it|gn|um|dom|im|ol|il|ul|yn|hes|mat|og|iv|ys))is(ation|ations|e|ed|es|ing)$/, ''],
  [/^(behavi|col|fav|flav|hon|hum|lab|neighb|rum|tum|vap|od|harb|sav|arm|endeav)our(s|ed|ing|hood|hoods|able)?$/, ''],
  [/^(program|centre|centres|fibre|fibres|litre|litres|analys)/, ''],
];

function americanise(word: string): string {
  if (word.length < 4 || !/[aeo]e|our|is|programme|re$|analys/.test(word)) return word;
  let w = word;
  if (SPELLINGS[0][0].test(w)) w = w.replace(/^oe/, 'e').replace(/ae/, 'e').replace(/oe(?=a|$)/, 'e').replace(/^(dyspn|apn)oe/, '$1e').replace(/amoeb/, 'ameb').replace(/coel/, 'cel').replace(/^foet/, 'fet');
  w = w.replace(SPELLINGS[1][0], (m) => m.replace(/^is/, 'iz'));
  w = w.replace(SPELLINGS[2][0], (m) => m.replace('our', 'or'));
  w = w.replace(/^programme(s)?$/, 'program$1').replace(/^(cent|fib|lit)re(s)?$/, '$1er$2').replace(/^analys(e|ed|es|ing)$/, 'analyz$1');
  return w;
}

/** Words in a text, lowercased, stripped of accents and in American spelling, in order; stopwords kept. */
export function words(text: string): string[] {
  return (
    text
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase()
      .replace(HYPHENATED_PREFIX, '$1')
      .match(/[\p{L}\p{N}]+/gu) ?? []
  ).map(americanise);
}

export function isStopword(word: string): boolean {
  return STOPWORDS.has(word);
}

/** Porter stem, for a word seen once (a respelling candidate): not memoised. */
export function stemOnce(word: string): string {
  return word.length > 3 && !/\d/.test(word) ? stemmer(word) : word;
}

const stemCache = new Map<string, string>();
/** Porter stem, memoised: the same few thousand words recur across every query. */
export function stem(word: string): string {
  let s = stemCache.get(word);
  if (s === undefined) {
    s = stemOnce(word);
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
