// Synthetic abstracts of realistic length for load and scale tests, recombined from the bundled
// corpus's own sentences (so their vocabulary and sentence lengths are those of real abstracts),
// deterministic for a given seed.
import { readFileSync } from 'node:fs';
import { BUNDLED_CORPUS } from '../src/config.js';
import { parseSeedListing } from '../ingest/parsers/parse-seed-listing.js';
import { splitSentences } from '../src/text/sentences.js';

export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function seedText(): string {
  return readFileSync(BUNDLED_CORPUS, 'utf8');
}

const FAMILY = ['Okafor', 'Lindqvist', 'Brennan', 'Haddad', 'Nguyen', 'Müller', 'Sato', 'Rivera', 'Kowalski', 'Achterberg', 'Diallo', 'Kaur', 'Byrne', 'Evans', 'Chen', 'Singh', 'García', 'Murphy', 'Tanaka', 'Bello'];
const GIVEN = ['Grace', 'Erik', 'Siobhan', 'Rami', 'Lan', 'Jörg', 'Kenji', 'Luis', 'Anna', 'Mirjam', 'Amara', 'Simran', 'Louise', 'Carys', 'Wei', 'Priya', 'Lucía', 'Aoife', 'Yuki', 'Amina'];

export interface SyntheticPaper {
  title: string;
  abstract: string;
  authors: string[];
  year: number;
  venue: string;
  doi: string;
}

/**
 * @example syntheticAbstracts(10, 1)[0].abstract.split(' ').length // ~200-300 words
 */
export function syntheticAbstracts(n: number, seed = 1): SyntheticPaper[] {
  const abstracts = parseSeedListing(seedText()).map((p) => p.abstract).filter((a): a is string => Boolean(a));
  const sentences = abstracts.flatMap((a) => splitSentences(a).map((s) => a.slice(s.start, s.end))).filter((s) => s.length > 40);
  const random = rng(seed);
  const pick = <T>(xs: T[]) => xs[Math.floor(random() * xs.length)];
  return Array.from({ length: n }, (_, i) => {
    const count = 8 + Math.floor(random() * 5);
    const body = Array.from({ length: count }, () => pick(sentences).replace(/\d+/g, () => String(1 + Math.floor(random() * 400)))).join(' ');
    const titleWords = pick(sentences).split(' ').slice(0, 6 + Math.floor(random() * 6)).join(' ').replace(/[.,;:]$/, '');
    return {
      title: `${titleWords} (${i + 1})`,
      abstract: body,
      authors: Array.from({ length: 1 + Math.floor(random() * 4) }, () => `${pick(GIVEN)} ${pick(FAMILY)}`),
      year: 1995 + Math.floor(random() * 30),
      venue: pick(['Psychiatric Services', 'BMC Psychiatry', 'Journal of Mental Health', 'Community Mental Health Journal']),
      doi: `10.5555/synthetic.${seed}.${i + 1}`,
    };
  });
}
