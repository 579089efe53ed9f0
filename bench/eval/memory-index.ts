// An index held in memory, built the way ingest builds one on disk (same chunker, same embedding
// path, same HNSW parameters), so the evaluation measures the product's retrieval without the disk.
import type { Config } from '../../src/config.js';
import type { LoadedEmbeddings } from '../../src/embeddings/load-embedding-model.js';
import { buildVectorStore, CHUNKER_VERSION, type StoredIndex } from '../../src/store/index-store.js';
import { chunkPaper } from '../../ingest/chunk-abstract.js';
import type { Paper } from '../../src/types.js';

export async function memoryIndex(papers: Paper[], cfg: Config, loaded: LoadedEmbeddings): Promise<StoredIndex> {
  const chunks = papers.flatMap((p) => chunkPaper(p, cfg.chunking));
  const dims = loaded.info.dims;
  const vectors = new Float32Array(chunks.length * dims);
  const embedded = await loaded.embeddings.embedRaw(chunks.map((c) => loaded.info.documentPrefix + c.text));
  embedded.forEach((v, i) => vectors.set(v, i * dims));
  const store = buildVectorStore(loaded.embeddings, chunks, vectors, dims, cfg.hnsw);
  const withText = papers.filter((p) => p.hasText).length;
  return {
    manifest: {
      formatVersion: 1,
      buildId: 'eval',
      builtAt: new Date().toISOString(),
      buildMs: 0,
      embedding: { modelId: loaded.info.modelId, dims, pooling: loaded.info.pooling, queryPrefix: loaded.info.queryPrefix, documentPrefix: loaded.info.documentPrefix },
      chunking: { chunker: CHUNKER_VERSION, ...cfg.chunking },
      hnsw: { m: cfg.hnsw.m, efConstruction: cfg.hnsw.efConstruction },
      corpusFingerprint: '',
      sources: [],
      counts: { papers: papers.length, papersWithText: withText, papersWithoutText: papers.length - withText, chunks: chunks.length },
    },
    papers,
    chunks,
    vectors,
    store,
  };
}
