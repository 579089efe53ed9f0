// The default vector backend: hnswlib's graph, with row r of the corpus as label r, so a hit is a
// row with no mapping back. The vectors live once, inside the graph file. A filter that leaves few
// rows is answered by an exact scan of those rows (exact, and faster than a graph walk that must
// skip most nodes); a loose one by the graph walk with the mask applied inside it.
import path from 'node:path';
import { mkdir } from 'node:fs/promises';
import hnswlib from 'hnswlib-node';
import type { Config } from '../config.js';
import { silentProgress, type Progress } from '../progress.js';
import type { Corpus } from './corpus.js';
import type { SearchFilters } from './filters.js';
import { exactNearest, type VectorBackend, type VectorHit, type VectorIndex } from './vector-index.js';

/** When a filter leaves at most this many rows, or this share of all rows, they are scanned exactly. */
export const EXACT_SCAN = { maxRows: 2_000, maxShare: 0.1 };
export const HNSW_FILE = path.join('vectors', 'hnsw.index');

export class HnswIndex implements VectorIndex {
  readonly backend = 'hnsw';

  constructor(
    private readonly graph: hnswlib.HierarchicalNSW,
    private readonly corpus: Corpus,
    readonly dims: number,
    private readonly exact = EXACT_SCAN,
  ) {}

  async search(query: Float32Array, k: number, filters?: SearchFilters): Promise<VectorHit[]> {
    const size = this.corpus.chunkCount;
    if (size === 0 || k <= 0) return [];
    const allowed = this.corpus.rowMask(filters);
    if (allowed && (allowed.count <= this.exact.maxRows || allowed.count <= this.exact.maxShare * size)) {
      const rows: number[] = [];
      for (let r = 0; r < allowed.mask.length; r++) if (allowed.mask[r]) rows.push(r);
      return this.exactScan(query, k, rows);
    }
    const n = Math.min(k, allowed ? allowed.count : size);
    if (n === 0) return [];
    const mask = allowed?.mask;
    const { neighbors, distances } = this.graph.searchKnn(Array.from(query), n, mask ? (label) => mask[label] === 1 : undefined);
    return neighbors.map((row, i) => ({ row, similarity: 1 - distances[i] }));
  }

  /** Cosine against the given rows, exactly, top k. */
  exactScan(query: Float32Array, k: number, rows: number[]): VectorHit[] {
    return exactNearest(query, rows, (row) => this.graph.getPoint(row), k);
  }

  async vectors(rows: number[]): Promise<Float32Array[]> {
    return rows.map((row) => Float32Array.from(this.graph.getPoint(row)));
  }

  async save(dir: string): Promise<void> {
    await mkdir(path.join(dir, 'vectors'), { recursive: true });
    await this.graph.writeIndex(path.join(dir, HNSW_FILE));
  }
}

/**
 * The graph over `vectors` (rows of `dims`), row r labelled r. Inserting is the slow part of a
 * large build (minutes at 500k vectors), so it yields to the event loop every few thousand rows,
 * which lets a progress bar redraw.
 */
export async function buildGraph(vectors: Float32Array, dims: number, params: Config['hnsw'], progress: Progress = silentProgress): Promise<hnswlib.HierarchicalNSW> {
  const graph = new hnswlib.HierarchicalNSW('cosine', dims);
  const n = vectors.length / dims;
  graph.initIndex({ maxElements: Math.max(1, n), m: params.m, efConstruction: params.efConstruction, randomSeed: 100 });
  const row = new Array<number>(dims);
  progress.start('indexing', n, 'vectors');
  for (let r = 0; r < n; r++) {
    for (let d = 0; d < dims; d++) row[d] = vectors[r * dims + d];
    graph.addPoint(row, r);
    if ((r + 1) % 2_000 === 0) {
      progress.update(r + 1);
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  progress.update(n);
  progress.stop();
  graph.setEf(params.efSearch);
  return graph;
}

export const hnswBackend: VectorBackend = {
  name: 'hnsw',
  parameters: (config) => ({ m: config.hnsw.m, efConstruction: config.hnsw.efConstruction }),
  async build(corpus, vectors, dims, config, progress) {
    return new HnswIndex(await buildGraph(vectors.subarray(0, corpus.chunkCount * dims), dims, config.hnsw, progress), corpus, dims);
  },
  async open(dir, corpus, dims, config: Config) {
    const graph = new hnswlib.HierarchicalNSW('cosine', dims);
    await graph.readIndex(path.join(dir, HNSW_FILE));
    graph.setEf(config.hnsw.efSearch);
    return new HnswIndex(graph, corpus, dims);
  },
};
