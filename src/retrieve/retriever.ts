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
export const DEFAULT_DENSE_WEIGHT = 1;

export class Retriever {
  readonly papers: Map<string, Paper>;
  readonly chunks: Chunk[];
  private readonly lexical: LexicalIndex;
  private readonly dims: number;
  /** The paper of each chunk row, so filters cost one array read per row. */
  private readonly rowPaper: Paper[];
  private readonly queryCache = new Map<string, Float32Array>();

  constructor(
    private readonly index: StoredIndex,
    private readonly embeddings: Pick<TransformersEmbeddings, 'embedRaw' | 'queryPrefix'>,
  ) {
    this.papers = new Map(index.papers.map((p) => [p.id, p]));
    this.chunks = index.chunks;
    this.dims = index.manifest.embedding.dims;
    this.lexical = new LexicalIndex(index.chunks);
    this.rowPaper = index.chunks.map((c) => this.papers.get(c.paperId)!);
  }

  /** Inverse document frequency of a content term over all chunks (smoothed, always > 0). */
  idf(term: string): number {
    return this.lexical.idf(term);
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

  private rowIndex?: Map<string, number>;
  private rowOf(chunkId: string): number {
    this.rowIndex ??= new Map(this.chunks.map((c, i) => [c.id, i]));
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
    const mode = options.mode ?? 'fused';
    const perPaper = options.passagesPerPaper ?? 2;
    const candidates = Math.max(50, k * 8);
    let allowed: Uint8Array | null = null;
    let allowedCount = 0;
    if (!isEmptyFilter(options.filters)) {
      const keep = compileFilters(options.filters);
      const verdict = new Map<Paper, boolean>();
      allowed = new Uint8Array(this.chunks.length);
      for (let row = 0; row < this.rowPaper.length; row++) {
        const paper = this.rowPaper[row];
        let ok = verdict.get(paper);
        if (ok === undefined) verdict.set(paper, (ok = keep(paper)));
        if (ok) {
          allowed[row] = 1;
          allowedCount++;
        }
      }
      if (allowedCount === 0) return [];
    }

    const dense = mode === 'lexical' ? [] : await this.denseRanking(query, candidates, allowed, allowedCount);
    const lexical = mode === 'dense' ? [] : this.lexical.query(query, candidates, allowed ?? undefined);
    const denseWeight = options.denseWeight ?? DEFAULT_DENSE_WEIGHT;
    const rankings: number[][] = [];
    const weights: number[] = [];
    if (mode !== 'lexical') (rankings.push(dense.map(([row]) => row)), weights.push(mode === 'dense' ? 1 : denseWeight));
    if (mode !== 'dense') (rankings.push(lexical.map((h) => h.row)), weights.push(1));
    const fused = fuseRankings(rankings, RRF_K, weights);
    const maxScore = weights.reduce((a, b) => a + b, 0) / (RRF_K + 1);
    const denseScore = new Map(dense);

    const byPaper = new Map<string, RetrievedPaper>();
    for (const [row, score] of fused) {
      const chunk = this.chunks[row];
      const paper = this.papers.get(chunk.paperId);
      if (!paper) continue;
      let entry = byPaper.get(paper.id);
      if (!entry) {
        entry = { paper, score: 0, passages: [] };
        byPaper.set(paper.id, entry);
      }
      if (entry.passages.length < perPaper) entry.passages.push({ chunk, row, score: score / maxScore, dense: denseScore.get(row) });
    }
    // A paper's score is its best passage, nudged up when a second passage also matched.
    for (const entry of byPaper.values()) {
      const [a, b] = entry.passages;
      entry.score = Math.min(1, a.score + 0.1 * (b?.score ?? 0));
    }
    return [...byPaper.values()].sort((x, y) => y.score - x.score).slice(0, k);
  }
}
