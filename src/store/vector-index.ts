// The seam between retrieval and whatever holds the vectors. A backend answers one question — the
// chunk rows nearest a query vector, among the papers a filter allows — and says how it is saved
// and opened. Filters are data (SearchFilters), so each backend translates them into its own terms:
// a row mask for hnswlib, a metadata predicate for a LangChain store, SQL for Postgres. BM25 is the
// same kind of seam (LexicalSearch): postings in memory for the file store, a table in Postgres.
import type { Config } from '../config.js';
import type { Progress } from '../progress.js';
import type { Corpus } from './corpus.js';
import type { SearchFilters } from './filters.js';
import { topK } from './top-k.js';

export interface VectorHit {
  /** The chunk row in the corpus. */
  row: number;
  /** Cosine similarity to the query, 1 = same direction. */
  similarity: number;
}

export interface VectorIndex {
  readonly backend: string;
  readonly dims: number;
  /** The k nearest chunk rows among those whose paper passes `filters`, nearest first. */
  search(query: Float32Array, k: number, filters?: SearchFilters): Promise<VectorHit[]>;
  /** The stored vectors of these rows, when the backend can give them back (so a re-ingest embeds only what changed). */
  vectors?(rows: number[]): Promise<Float32Array[]>;
  /** Writes the index into a build folder (the backend's own files, under vectors/). */
  save(dir: string): Promise<void>;
}

/** The other half of hybrid retrieval: BM25 over the same chunk rows, filters applied before the cut. */
export interface LexicalSearch {
  /** The k best chunk rows for the query's terms among those whose paper passes `filters`, best first. */
  search(query: string, k: number, filters?: SearchFilters): Promise<LexicalHit[]>;
}

export interface LexicalHit {
  row: number;
  /** BM25 score (the same formula and tokenizer in every backend, so scores compare). */
  score: number;
}

export interface VectorBackend {
  readonly name: string;
  /** The graph parameters a build with this configuration gets (recorded in the manifest). */
  parameters(config: Config): { m: number; efConstruction: number };
  /** Indexes `vectors` (row r = chunk row r of `corpus`, unit length, `dims` each). */
  build(corpus: Corpus, vectors: Float32Array, dims: number, config: Config, progress?: Progress): Promise<VectorIndex>;
  open(dir: string, corpus: Corpus, dims: number, config: Config): Promise<VectorIndex>;
}

/**
 * The exact answer: cosine (the dot product of unit vectors) against each of `rows`, top k. For a
 * tight filter, and for a build's vectors before a database indexes them.
 */
export function exactNearest(query: Float32Array, rows: Iterable<number>, vectorAt: (row: number) => ArrayLike<number>, k: number): VectorHit[] {
  const dot = (row: number) => {
    const v = vectorAt(row);
    let s = 0;
    for (let j = 0; j < v.length; j++) s += query[j] * v[j];
    return s;
  };
  return topK(rows, dot, k).map(([row, similarity]) => ({ row, similarity }));
}
