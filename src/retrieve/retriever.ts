// Hybrid retrieval: dense search in the HNSW index plus BM25 over the same chunks, fused by
// reciprocal rank, grouped by paper with at most a couple of passages each so one paper cannot
// fill every slot. Filters are applied inside both searches.
import type { Chunk, Paper } from '../types.js';
import type { StoredIndex } from '../store/index-store.js';
import type { TransformersEmbeddings } from '../embeddings/transformers-embeddings.js';
import { compileFilters, isEmptyFilter, type SearchFilters } from './filters.js';
import { fuseRankings, RRF_K } from './fuse-rankings.js';
import { LexicalIndex } from './lexical-index.js';
import { topK } from './top-k.js';

export type RetrievalMode = 'fused' | 'dense' | 'lexical';

export interface Passage {
  chunk: Chunk;
  row: number;
  /** Fused relevance, 1 = top of every ranking. */
  score: number;
  /** Cosine similarity to the query, when dense search found this chunk. */
  dense?: number;
  /** BM25 over the most the query could score (the sum of its terms' idf), when BM25 found this chunk. */
  lexical?: number;
}

export interface RetrievedPaper {
  paper: Paper;
  score: number;
  passages: Passage[];
}

export interface RetrieveOptions {
  k?: number;
  filters?: SearchFilters;
  mode?: RetrievalMode;
  passagesPerPaper?: number;
  /** Weight of the dense ranking in the fusion (BM25's is 1); tuned on SciFact train by npm run eval. */
  denseWeight?: number;
}

/**
 * A filter that leaves few chunks is answered by an exact scan of those (exact, and faster than a
 * graph walk that must skip most nodes); a loose one by the HNSW walk with the filter applied inside.
 */
const EXACT_SCAN_MAX_ROWS = 2_000;
const EXACT_SCAN_MAX_SHARE = 0.1;
const QUERY_CACHE_SIZE = 512;
/**
 * Weight of the dense ranking in the fusion when none is configured. Plain RRF (1) for real
 * embedding models; 0.1 for the offline model, whose "dense" ranking is near-keyword and mostly
 * adds noise to BM25 — the value tuned on BEIR SciFact train by `npm run eval` (README, Quality).
 */
export function defaultDenseWeight(modelId: string): number {
  return modelId.startsWith('offline:') ? 0.1 : 1;
}

export class Retriever {
  readonly papers: Map<string, Paper>;
  readonly chunks: Chunk[];
  private readonly lexical: LexicalIndex;
  private readonly dims: number;
  /** The paper of each chunk row, so filters cost one array read per row. */
  private readonly rowPaper: Paper[];
  private readonly rowIndex: Map<string, number>;
  private readonly queryCache = new Map<string, Float32Array>();

  private readonly denseWeight: number;

  constructor(
    private readonly index: StoredIndex,
    private readonly embeddings: Pick<TransformersEmbeddings, 'embedRaw' | 'queryPrefix'>,
    options: { denseWeight?: number } = {},
  ) {
    this.denseWeight = options.denseWeight ?? defaultDenseWeight(index.manifest.embedding.modelId);
    this.papers = new Map(index.papers.map((p) => [p.id, p]));
    this.chunks = index.chunks;
    this.dims = index.manifest.embedding.dims;
    this.lexical = new LexicalIndex(index.chunks);
    this.rowPaper = index.chunks.map((c) => this.papers.get(c.paperId)!);
    this.rowIndex = new Map(index.chunks.map((c, i) => [c.id, i]));
  }

  /** The embedding model the index was built with. */
  get modelId(): string {
    return this.index.manifest.embedding.modelId;
  }

  /** Corpus statistics of terms, for reading questions (which words are rare, which unknown). */
  get termStats(): { idf(term: string): number; documentFrequency(term: string): number; maxIdf: number } {
    return this.lexical;
  }

  async embedQuery(query: string): Promise<Float32Array> {
    const key = query.trim().toLowerCase();
    let v = this.queryCache.get(key);
    if (!v) {
      [v] = await this.embeddings.embedRaw([this.embeddings.queryPrefix + query]);
      if (this.queryCache.size >= QUERY_CACHE_SIZE) this.queryCache.delete(this.queryCache.keys().next().value!);
      this.queryCache.set(key, v);
    }
    return v;
  }

  private async denseRanking(query: string, n: number, allowed: Uint8Array | null, allowedCount: number): Promise<Array<[number, number]>> {
    if (this.chunks.length === 0) return [];
    const q = await this.embedQuery(query);
    if (allowed && (allowedCount <= EXACT_SCAN_MAX_ROWS || allowedCount <= EXACT_SCAN_MAX_SHARE * this.chunks.length)) {
      const rows: number[] = [];
      for (let r = 0; r < allowed.length; r++) if (allowed[r]) rows.push(r);
      return this.exactScan(q, n, rows);
    }
    const k = Math.min(n, allowed ? allowedCount : this.chunks.length);
    const filter = allowed ? (doc: { metadata: Record<string, unknown> }) => allowed[this.rowOf(doc.metadata.chunkId as string)] === 1 : undefined;
    const results = await this.index.store.similaritySearchVectorWithScore(Array.from(q), k, filter);
    return results.map(([doc, distance]) => [this.rowOf(doc.metadata.chunkId as string), 1 - distance]);
  }

  private rowOf(chunkId: string): number {
    return this.rowIndex.get(chunkId) ?? -1;
  }

  /** Cosine (dot product of unit vectors) against the given rows (all rows when null), top n. */
  exactScan(q: Float32Array, n: number, rows: Iterable<number> | null): Array<[number, number]> {
    const v = this.index.vectors;
    const d = this.dims;
    const dot = (row: number) => {
      let s = 0;
      const off = row * d;
      for (let j = 0; j < d; j++) s += q[j] * v[off + j];
      return s;
    };
    return topK(rows ?? this.chunks.keys(), dot, n);
  }

  /**
   * The k most relevant papers for a query, each with its best passages.
   * @example const [top] = await retriever.retrieve('peer support and stigma', { k: 5 });
   */
  async retrieve(query: string, options: RetrieveOptions = {}): Promise<RetrievedPaper[]> {
    const k = options.k ?? 6;
    const allowed = this.allowedRows(options.filters);
    if (allowed?.count === 0) return [];
    const ranked = await this.rankChunks(query, Math.max(50, k * 8), options.mode ?? 'fused', options.denseWeight ?? this.denseWeight, allowed);
    return this.groupByPaper(ranked, options.passagesPerPaper ?? 2).slice(0, k);
  }

  /** A 0/1 mask of the chunk rows whose paper passes the filters; null when there are none. */
  private allowedRows(filters: SearchFilters | undefined): { mask: Uint8Array; count: number } | null {
    if (isEmptyFilter(filters)) return null;
    const keep = compileFilters(filters);
    const verdict = new Map<Paper, boolean>();
    const mask = new Uint8Array(this.chunks.length);
    let count = 0;
    this.rowPaper.forEach((paper, row) => {
      let ok = verdict.get(paper);
      if (ok === undefined) verdict.set(paper, (ok = keep(paper)));
      if (ok) {
        mask[row] = 1;
        count++;
      }
    });
    return { mask, count };
  }

  /** Dense and BM25 rankings of chunk rows, fused by reciprocal rank; scores scaled so 1 = top of all. */
  private async rankChunks(
    query: string,
    candidates: number,
    mode: RetrievalMode,
    denseWeight: number,
    allowed: { mask: Uint8Array; count: number } | null,
  ): Promise<Array<{ row: number; score: number; dense?: number; lexical?: number }>> {
    const rankings: number[][] = [];
    const weights: number[] = [];
    let denseScore = new Map<number, number>();
    const lexicalScore = new Map<number, number>();
    if (mode !== 'lexical') {
      const dense = await this.denseRanking(query, candidates, allowed?.mask ?? null, allowed?.count ?? 0);
      denseScore = new Map(dense);
      rankings.push(dense.map(([row]) => row));
      weights.push(mode === 'dense' ? 1 : denseWeight);
    }
    if (mode !== 'dense') {
      const hits = this.lexical.query(query, candidates, allowed?.mask);
      const bound = this.lexical.scoreBound(query);
      for (const h of hits) lexicalScore.set(h.row, bound > 0 ? h.score / bound : 0);
      rankings.push(hits.map((h) => h.row));
      weights.push(1);
    }
    const maxScore = weights.reduce((a, b) => a + b, 0) / (RRF_K + 1);
    return [...fuseRankings(rankings, RRF_K, weights)].map(([row, score]) => ({ row, score: score / maxScore, dense: denseScore.get(row), lexical: lexicalScore.get(row) }));
  }

  /** Best passages per paper (at most `perPaper`), papers ordered by their best passage. */
  private groupByPaper(ranked: Array<{ row: number; score: number; dense?: number; lexical?: number }>, perPaper: number): RetrievedPaper[] {
    const byPaper = new Map<string, RetrievedPaper>();
    for (const { row, score, dense, lexical } of ranked) {
      const paper = this.rowPaper[row];
      let entry = byPaper.get(paper.id);
      if (!entry) {
        entry = { paper, score: 0, passages: [] };
        byPaper.set(paper.id, entry);
      }
      if (entry.passages.length < perPaper) entry.passages.push({ chunk: this.chunks[row], row, score, dense, lexical });
    }
    // A paper's score is its best passage, nudged up when a second passage also matched.
    for (const entry of byPaper.values()) {
      const [a, b] = entry.passages;
      entry.score = Math.min(1, a.score + 0.1 * (b?.score ?? 0));
    }
    return [...byPaper.values()].sort((x, y) => y.score - x.score);
  }
}
