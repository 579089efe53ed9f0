// Hybrid retrieval: dense search in the vector index plus BM25 over the same chunks, fused by
// reciprocal rank, grouped by paper with at most a couple of passages each so one paper cannot
// fill every slot. Filters are applied inside both searches.
import type { Chunk, Paper } from '../types.js';
import type { Corpus } from '../store/corpus.js';
import type { SearchFilters } from '../store/filters.js';
import type { OpenIndex } from '../store/index-dir.js';
import { scoreBound } from '../store/lexical-index.js';
import type { LexicalSearch, VectorIndex } from '../store/vector-index.js';
import type { TransformersEmbeddings } from '../embeddings/transformers-embeddings.js';
import { fuseRankings, RRF_K } from './fuse-rankings.js';

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
  private readonly queryCache = new Map<string, Float32Array>();
  private readonly denseWeight: number;
  readonly corpus: Corpus;
  private readonly vectors: VectorIndex;
  private readonly lexical: LexicalSearch;

  constructor(
    index: OpenIndex,
    private readonly embeddings: Pick<TransformersEmbeddings, 'embedRaw' | 'queryPrefix'>,
    options: { denseWeight?: number } = {},
  ) {
    ({ corpus: this.corpus, vectors: this.vectors, lexical: this.lexical } = index);
    this.denseWeight = options.denseWeight ?? defaultDenseWeight(this.corpus.manifest.embedding.modelId);
  }

  /** The embedding model the index was built with. */
  get modelId(): string {
    return this.corpus.manifest.embedding.modelId;
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

  /**
   * The k most relevant papers for a query, each with its best passages.
   * @example const [top] = await retriever.retrieve('peer support and stigma', { k: 5 });
   */
  async retrieve(query: string, options: RetrieveOptions = {}): Promise<RetrievedPaper[]> {
    const k = options.k ?? 6;
    if (this.corpus.rowMask(options.filters)?.count === 0) return [];
    const ranked = await this.rankChunks(query, Math.max(50, k * 8), options.mode ?? 'fused', options.denseWeight ?? this.denseWeight, options.filters);
    return this.groupByPaper(ranked, options.passagesPerPaper ?? 2).slice(0, k);
  }

  /** Dense and BM25 rankings of chunk rows, fused by reciprocal rank; scores scaled so 1 = top of all. */
  private async rankChunks(
    query: string,
    candidates: number,
    mode: RetrievalMode,
    denseWeight: number,
    filters: SearchFilters | undefined,
  ): Promise<Array<{ row: number; score: number; dense?: number; lexical?: number }>> {
    const rankings: number[][] = [];
    const weights: number[] = [];
    let denseScore = new Map<number, number>();
    const lexicalScore = new Map<number, number>();
    // Both searches at once: with a database behind them, each is a round trip.
    const [dense, lexical] = await Promise.all([
      mode !== 'lexical' && this.corpus.chunkCount ? this.embedQuery(query).then((v) => this.vectors.search(v, candidates, filters)) : null,
      mode !== 'dense' ? this.lexical.search(query, candidates, filters) : null,
    ]);
    if (mode !== 'lexical') {
      denseScore = new Map((dense ?? []).map((h) => [h.row, h.similarity]));
      rankings.push((dense ?? []).map((h) => h.row));
      weights.push(mode === 'dense' ? 1 : denseWeight);
    }
    if (lexical) {
      const bound = scoreBound(this.corpus.termStats, query);
      for (const h of lexical) lexicalScore.set(h.row, bound > 0 ? h.score / bound : 0);
      rankings.push(lexical.map((h) => h.row));
      weights.push(1);
    }
    const maxScore = weights.reduce((a, b) => a + b, 0) / (RRF_K + 1);
    return [...fuseRankings(rankings, RRF_K, weights)].map(([row, score]) => ({ row, score: score / maxScore, dense: denseScore.get(row), lexical: lexicalScore.get(row) }));
  }

  /** Best passages per paper (at most `perPaper`), papers ordered by their best passage. */
  private groupByPaper(ranked: Array<{ row: number; score: number; dense?: number; lexical?: number }>, perPaper: number): RetrievedPaper[] {
    const byPaper = new Map<string, RetrievedPaper>();
    for (const { row, score, dense, lexical } of ranked) {
      const paper = this.corpus.paperOfRow(row);
      let entry = byPaper.get(paper.id);
      if (!entry) {
        entry = { paper, score: 0, passages: [] };
        byPaper.set(paper.id, entry);
      }
      if (entry.passages.length < perPaper) entry.passages.push({ chunk: this.corpus.chunk(row), row, score, dense, lexical });
    }
    // A paper's score is its best passage, nudged up when a second passage also matched.
    for (const entry of byPaper.values()) {
      const [a, b] = entry.passages;
      entry.score = Math.min(1, a.score + 0.1 * (b?.score ?? 0));
    }
    return [...byPaper.values()].sort((x, y) => y.score - x.score);
  }
}
