// Any LangChain VectorStore as a VectorIndex, so the next store is one file: the store keeps the
// vectors, with the chunk row as the only metadata it needs, and the corpus keeps the text. Filters
// (data) become the store's own filter through `translateFilter`; the default, a predicate on the
// document, is what HNSWLib and MemoryVectorStore take. The 'langchain-hnswlib' backend below is
// the adapter over LangChain's HNSWLib, saved in the build folder.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { VectorStore } from '@langchain/core/vectorstores';
import type { DocumentInterface } from '@langchain/core/documents';
import type { EmbeddingsInterface } from '@langchain/core/embeddings';
import type { Corpus } from './corpus.js';
import { isEmptyFilter, type SearchFilters } from './filters.js';
import type { VectorBackend, VectorHit, VectorIndex } from './vector-index.js';

export interface LangChainIndexOptions<S extends VectorStore> {
  backend: string;
  dims: number;
  /** The filter in the store's own terms. By default a predicate on the document's row. */
  translateFilter?: (filters: SearchFilters, corpus: Corpus) => S['FilterType'];
  /** The store's score as cosine similarity (HNSWLib returns a cosine distance). By default the score itself. */
  toSimilarity?: (score: number) => number;
  /** Writes the store into `dir` (the build folder's vectors/), when it lives on disk. */
  save?: (store: S, dir: string) => Promise<void>;
  /** Gives back rows' vectors, when the store can. */
  vectors?: (store: S, rows: number[]) => Promise<Float32Array[]>;
}

/** Documents for the store: no text (the corpus has it), the row and paper id as metadata. */
export function chunkDocuments(corpus: Corpus): DocumentInterface[] {
  return Array.from({ length: corpus.chunkCount }, (_, row) => ({ pageContent: '', metadata: { row, paperId: corpus.paperOfRow(row).id } }));
}

/** The default translation: a predicate over the row mask the corpus computes for the filters. */
export function rowPredicate(filters: SearchFilters, corpus: Corpus): (doc: DocumentInterface) => boolean {
  const allowed = corpus.rowMask(filters);
  return (doc) => !allowed || allowed.mask[doc.metadata.row as number] === 1;
}

export class LangChainIndex<S extends VectorStore> implements VectorIndex {
  readonly backend: string;
  readonly dims: number;
  readonly vectors?: (rows: number[]) => Promise<Float32Array[]>;

  constructor(
    readonly store: S,
    private readonly corpus: Corpus,
    private readonly options: LangChainIndexOptions<S>,
  ) {
    this.backend = options.backend;
    this.dims = options.dims;
    const give = options.vectors;
    if (give) this.vectors = (rows) => give(store, rows);
  }

  async search(query: Float32Array, k: number, filters?: SearchFilters): Promise<VectorHit[]> {
    if (this.corpus.chunkCount === 0 || k <= 0) return [];
    const filter = filters && !isEmptyFilter(filters) ? (this.options.translateFilter ?? rowPredicate)(filters, this.corpus) : undefined;
    const hits = await this.store.similaritySearchVectorWithScore(Array.from(query), Math.min(k, this.corpus.chunkCount), filter);
    const toSimilarity = this.options.toSimilarity ?? ((s: number) => s);
    return hits.map(([doc, score]) => ({ row: doc.metadata.row as number, similarity: toSimilarity(score) }));
  }

  async save(dir: string): Promise<void> {
    await this.options.save?.(this.store, path.join(dir, 'vectors'));
  }
}

// LangChain's stores want an Embeddings object, which they only use to embed text they are given;
// the store layer always hands them vectors, so asking this one to embed is a bug worth a message.
const vectorsOnly: EmbeddingsInterface = {
  embedQuery: () => Promise.reject(new Error('the store layer passes vectors; embed queries with the Retriever')),
  embedDocuments: () => Promise.reject(new Error('the store layer passes vectors; embed documents with buildIndex')),
};

/** LangChain's HNSWLib behind the adapter: its own graph parameters, its save/load format. */
export const langchainHnswlibBackend: VectorBackend = {
  name: 'langchain-hnswlib',
  // HNSWLib initialises its graph itself, with hnswlib's defaults; only the search breadth is ours to set.
  parameters: () => ({ m: 16, efConstruction: 200 }),
  async build(corpus, vectors, dims, config) {
    // Imported here, not at the top: the default backend should not pay for LangChain community's load time.
    const { HNSWLib } = await import('@langchain/community/vectorstores/hnswlib');
    const store = new HNSWLib(vectorsOnly, { space: 'cosine', numDimensions: dims });
    const rows = Array.from({ length: corpus.chunkCount }, (_, r) => Array.from(vectors.subarray(r * dims, (r + 1) * dims)));
    if (rows.length) {
      await store.addVectors(rows, chunkDocuments(corpus) as never);
      store.index.setEf(config.hnsw.efSearch);
    }
    return hnswlibIndex(store, corpus, dims);
  },
  async open(dir, corpus, dims, config) {
    const { HNSWLib } = await import('@langchain/community/vectorstores/hnswlib');
    const store = corpus.chunkCount ? await HNSWLib.load(path.join(dir, 'vectors'), vectorsOnly) : new HNSWLib(vectorsOnly, { space: 'cosine', numDimensions: dims });
    if (corpus.chunkCount) store.index.setEf(config.hnsw.efSearch);
    return hnswlibIndex(store, corpus, dims);
  },
};

type HNSWLibStore = import('@langchain/community/vectorstores/hnswlib').HNSWLib;

function hnswlibIndex(store: HNSWLibStore, corpus: Corpus, dims: number): LangChainIndex<HNSWLibStore> {
  return new LangChainIndex(store, corpus, {
    backend: 'langchain-hnswlib',
    dims,
    toSimilarity: (distance) => 1 - distance,
    save: async (s, dir) => {
      await mkdir(dir, { recursive: true });
      if (corpus.chunkCount) await s.save(dir);
    },
    // HNSWLib's docstore ids are its labels, which are insertion order: the row.
    vectors: async (s, rows) => rows.map((row) => Float32Array.from(s.index.getPoint(row))),
  });
}
