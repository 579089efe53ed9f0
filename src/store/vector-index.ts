// The seam between retrieval and whatever holds the vectors. A backend answers one question — the
// chunk rows nearest a query vector, among the papers a filter allows — and says how it is saved
// and opened. Filters are data (SearchFilters), so each backend translates them into its own terms:
// a row mask for hnswlib, a metadata predicate for a LangChain store, SQL for Postgres.
import type { Config } from '../config.js';
import type { Corpus } from './corpus.js';
import type { SearchFilters } from './filters.js';

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
  /** The stored vector of a row, when the backend can give it back (so a re-ingest embeds only what changed). */
  vector?(row: number): Float32Array;
  /** Writes the index into a build folder (the backend's own files, under vectors/). */
  save(dir: string): Promise<void>;
}

export interface VectorBackend {
  readonly name: string;
  /** The graph parameters a build with this configuration gets (recorded in the manifest). */
  parameters(config: Config): { m: number; efConstruction: number };
  /** Indexes `vectors` (row r = chunk row r of `corpus`, unit length, `dims` each). */
  build(corpus: Corpus, vectors: Float32Array, dims: number, config: Config): Promise<VectorIndex>;
  open(dir: string, corpus: Corpus, dims: number, config: Config): Promise<VectorIndex>;
}
