// BM25 over the same chunks the vector index holds, with the shared tokenizer so a "match" here
// means what it means to the answerer. Postings are flat typed arrays (every term's rows, then
// every term's counts, with offsets), which is both what makes a query fast (no result object per
// document, only the top k kept) and what lets a saved index open without re-tokenising anything.
import { contentTerms } from '../text/terms.js';
import { readTables, writeTables } from './tables.js';
import { topK } from './top-k.js';
import type { Corpus } from './corpus.js';
import type { LexicalHit, LexicalSearch } from './vector-index.js';


/** What the answer layer reads about a term; the BM25 postings, or a term table, provide it. */
export interface TermStats {
  idf(term: string): number;
  documentFrequency(term: string): number;
  /** The idf of a term in no document. */
  readonly maxIdf: number;
}

/** Robertson–Spärck Jones BM25 with the usual constants (Postgres's BM25 query uses the same). */
export const BM25 = { k1: 1.2, b: 0.75 };
const K1 = BM25.k1;
const B = BM25.b;

/** BM25's smoothed inverse document frequency, always > 0. */
export function bm25Idf(documentFrequency: number, documents: number): number {
  return Math.log(1 + (documents - documentFrequency + 0.5) / (documentFrequency + 0.5));
}

/**
 * What a chunk of average length holding each query term once would score: the sum of the terms'
 * idf, unknown terms included, so a passage's share of it says how much of the query it matched.
 */
export function scoreBound(stats: TermStats, query: string): number {
  let sum = 0;
  for (const term of new Set(contentTerms(query))) sum += stats.idf(term);
  return sum;
}

/** Document frequencies without postings: what a server holds when the postings live in a database. */
export class TermTable implements TermStats {
  constructor(
    private readonly frequencies: ReadonlyMap<string, number>,
    readonly documents: number,
  ) {}

  documentFrequency(term: string): number {
    return this.frequencies.get(term) ?? 0;
  }

  idf(term: string): number {
    return bm25Idf(this.documentFrequency(term), this.documents);
  }

  get maxIdf(): number {
    return bm25Idf(0, this.documents);
  }
}

interface Postings {
  terms: string[];
  /** Term i's postings are rows[offsets[i] .. offsets[i+1]), with counts at the same positions. */
  offsets: Uint32Array;
  rows: Int32Array;
  counts: Uint16Array;
  docLength: Uint16Array;
}

export class LexicalIndex implements TermStats {
  private readonly termIds: Map<string, number>;
  private readonly scores: Float64Array;
  private readonly avgLength: number;
  readonly size: number;

  private constructor(private readonly postings: Postings) {
    this.termIds = new Map(postings.terms.map((t, i) => [t, i]));
    this.size = postings.docLength.length;
    this.scores = new Float64Array(this.size);
    let total = 0;
    for (const n of postings.docLength) total += n;
    this.avgLength = this.size ? total / this.size : 1;
  }

  /** Tokenises every chunk text: the build-time path. */
  static fromTexts(texts: string[]): LexicalIndex {
    const ids = new Map<string, number>();
    const perTerm: number[][] = [];
    const docLength = new Uint16Array(texts.length);
    texts.forEach((text, row) => {
      const terms = contentTerms(text);
      docLength[row] = Math.min(terms.length, 0xffff);
      const counts = new Map<string, number>();
      for (const t of terms) counts.set(t, (counts.get(t) ?? 0) + 1);
      for (const [t, n] of counts) {
        let id = ids.get(t);
        if (id === undefined) ids.set(t, (id = perTerm.push([]) - 1));
        perTerm[id].push(row, n);
      }
    });
    const offsets = new Uint32Array(perTerm.length + 1);
    perTerm.forEach((p, i) => (offsets[i + 1] = offsets[i] + p.length / 2));
    const rows = new Int32Array(offsets[perTerm.length]);
    const counts = new Uint16Array(rows.length);
    perTerm.forEach((p, i) => {
      for (let j = 0, at = offsets[i]; j < p.length; j += 2, at++) {
        rows[at] = p[j];
        counts[at] = Math.min(p[j + 1], 0xffff);
      }
    });
    return new LexicalIndex({ terms: [...ids.keys()], offsets, rows, counts, docLength });
  }

  async save(file: string): Promise<void> {
    const { terms, ...arrays } = this.postings;
    await writeTables(file, { terms }, arrays);
  }

  static async open(file: string): Promise<LexicalIndex> {
    const { meta, arrays } = await readTables<{ terms: string[] }>(file);
    return new LexicalIndex({
      terms: meta.terms,
      offsets: arrays.offsets as Uint32Array,
      rows: arrays.rows as Int32Array,
      counts: arrays.counts as Uint16Array,
      docLength: arrays.docLength as Uint16Array,
    });
  }

  /** Number of chunks containing a (stemmed) term. */
  documentFrequency(term: string): number {
    const id = this.termIds.get(term);
    return id === undefined ? 0 : this.postings.offsets[id + 1] - this.postings.offsets[id];
  }

  idf(term: string): number {
    return bm25Idf(this.documentFrequency(term), this.size);
  }

  /** The idf of a term no chunk contains: the most a single term can weigh. */
  get maxIdf(): number {
    return this.idf('\u0000');
  }

  /** Every term with its rows and counts, and each row's length in terms: what a database stores. */
  *postingLists(): Generator<{ term: string; rows: Int32Array; counts: Uint16Array }> {
    const { terms, offsets, rows, counts } = this.postings;
    for (let i = 0; i < terms.length; i++) yield { term: terms[i], rows: rows.subarray(offsets[i], offsets[i + 1]), counts: counts.subarray(offsets[i], offsets[i + 1]) };
  }

  get documentLengths(): Uint16Array {
    return this.postings.docLength;
  }

  /** Mean chunk length in terms, BM25's length norm (1 for an empty index). */
  get averageLength(): number {
    return this.avgLength;
  }

  /**
   * Top `k` chunks for `query`; `allowed` (a 0/1 mask by row, when given) is applied before the cut.
   * @example index.query('peer support stigma', 50)
   */
  query(query: string, k: number, allowed?: Uint8Array): LexicalHit[] {
    const { offsets, rows, counts, docLength } = this.postings;
    const scores = this.scores;
    const touched: number[] = [];
    for (const term of new Set(contentTerms(query))) {
      const id = this.termIds.get(term);
      if (id === undefined) continue;
      const idf = this.idf(term);
      for (let i = offsets[id]; i < offsets[id + 1]; i++) {
        const row = rows[i];
        if (allowed && !allowed[row]) continue;
        if (scores[row] === 0) touched.push(row);
        const tf = counts[i];
        scores[row] += (idf * tf * (K1 + 1)) / (tf + K1 * (1 - B + (B * docLength[row]) / this.avgLength));
      }
    }
    const best = topK(touched, (row) => scores[row], k);
    for (const row of touched) scores[row] = 0; // reset the shared accumulator for the next query
    return best.map(([row, score]) => ({ row, score }));
  }
}

/** BM25 over the corpus's own postings, with filters as the corpus's row masks (the file store). */
export function postingsSearch(corpus: Corpus): LexicalSearch {
  const postings = corpus.lexical;
  if (!postings) throw new Error('this corpus holds no postings; search the store that has them');
  return { search: async (query, k, filters) => postings.query(query, k, corpus.rowMask(filters)?.mask) };
}
