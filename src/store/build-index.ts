// Papers in, an index in memory out: chunk → embed (re-using the vectors of unchanged chunks when
// asked) → corpus tables and BM25 postings → the vector backend. Ingest writes the result with
// writeIndex; the evaluation uses it as it is.
import type { Config } from '../config.js';
import type { LoadedEmbeddings } from '../embeddings/load-embedding-model.js';
import { silentProgress, type Progress } from '../progress.js';
import type { Paper } from '../types.js';
import { chunkPaper } from './chunk-paper.js';
import { Corpus } from './corpus.js';
import { postingsSearch } from './lexical-index.js';
import { backendNamed, newBuildId, type OpenIndex } from './index-dir.js';
import type { VectorBackend } from './vector-index.js';
import type { VectorCheckpoint } from './vector-checkpoint.js';
import { chunkingSignature, corpusFingerprint, embeddingSignature, FORMAT_VERSION, type IndexManifest } from './manifest.js';

export interface BuildIndexOptions {
  config: Config;
  /** The vector backend (or its name); config.vectorBackend by default. */
  backend?: string | VectorBackend;
  /** The vectors already computed for these chunk texts with this model (undefined where there is none). */
  reuse?: (texts: string[]) => Promise<Array<Float32Array | undefined>>;
  sources?: string[];
  progress?: Progress;
  /** Vectors an interrupted build left: taken from it first, and every vector embedded now is added to it (the caller closes it). */
  checkpoint?: VectorCheckpoint;
  /** Aborted: stop after the embedding batch in hand (its vectors are checkpointed first). */
  signal?: AbortSignal;
}

export interface BuiltIndex extends OpenIndex {
  /** Every chunk's vector, row r at [r * dims, (r + 1) * dims): what a store that keeps its own copy writes. */
  matrix: Float32Array;
  embedded: number;
  reused: number;
  /** Chunks whose vectors came from the checkpoint of an interrupted build. */
  resumed: number;
  timings: BuildTimings;
}

/** Where a build's time went, in ms: chunking; embedding (with re-use and the checkpoint); corpus tables, BM25 postings and the vector graph. */
export interface BuildTimings {
  chunkMs: number;
  embedMs: number;
  indexMs: number;
}

/**
 * @example const { corpus, vectors } = await buildIndex(papers, loaded, { config });
 */
export async function buildIndex(papers: Paper[], loaded: Pick<LoadedEmbeddings, 'embeddings' | 'info'>, options: BuildIndexOptions): Promise<BuiltIndex> {
  const { config } = options;
  const started = Date.now();
  const progress = options.progress ?? silentProgress;
  const timings: BuildTimings = { chunkMs: 0, embedMs: 0, indexMs: 0 };
  let t0 = performance.now();
  const chunks = papers.flatMap((p) => chunkPaper(p, config.chunking));
  const dims = loaded.info.dims;
  timings.chunkMs = performance.now() - t0;
  t0 = performance.now();

  const vectors = new Float32Array(chunks.length * dims);
  let missing: number[] = [];
  const reused = options.reuse ? await options.reuse(chunks.map((c) => c.text)) : [];
  chunks.forEach((_, i) => {
    const hit = reused[i];
    if (hit) vectors.set(hit, i * dims);
    else missing.push(i);
  });
  const fromLiveIndex = chunks.length - missing.length;
  const { checkpoint } = options;
  let resumed = 0;
  if (checkpoint && missing.length) {
    const restored = new Uint8Array(missing.length);
    resumed = checkpoint.restore(
      missing.map((i) => chunks[i].text),
      (j, v) => {
        vectors.set(v, missing[j] * dims);
        restored[j] = 1;
      },
    );
    missing = missing.filter((_, j) => !restored[j]);
    if (resumed) progress.note(`resumed: ${resumed} of ${resumed + missing.length} chunks already embedded (by an interrupted run)`);
  }
  if (missing.length) {
    progress.start('embedding', missing.length, 'chunks');
    await loaded.embeddings.embedRaw(
      missing.map((i) => loaded.info.documentPrefix + chunks[i].text),
      (done, batch) => {
        batch.rows.forEach((j, b) => vectors.set(batch.vectors[b], missing[j] * dims));
        checkpoint?.add(batch.rows.map((j) => chunks[missing[j]].text), batch.vectors);
        progress.update(done);
        options.signal?.throwIfAborted();
      },
    );
    progress.stop();
  }

  timings.embedMs = performance.now() - t0;
  t0 = performance.now();

  const backend = typeof options.backend === 'object' ? options.backend : backendNamed(options.backend ?? config.vectorBackend);
  const withText = papers.filter((p) => p.hasText).length;
  const manifest: IndexManifest = {
    formatVersion: FORMAT_VERSION,
    buildId: newBuildId(),
    builtAt: new Date().toISOString(),
    buildMs: 0,
    embedding: embeddingSignature(loaded.info),
    chunking: chunkingSignature(config),
    vectors: { backend: backend.name, ...backend.parameters(config) },
    corpusFingerprint: corpusFingerprint(papers),
    sources: options.sources ?? [],
    counts: { papers: papers.length, papersWithText: withText, papersWithoutText: papers.length - withText, chunks: chunks.length },
  };
  const corpus = Corpus.fromChunks(manifest, papers, chunks);
  const index = await backend.build(corpus, vectors, dims, config, progress);
  const lexical = postingsSearch(corpus);
  timings.indexMs = performance.now() - t0;
  manifest.buildMs = Date.now() - started;
  return { corpus, vectors: index, lexical, matrix: vectors, embedded: missing.length, reused: fromLiveIndex, resumed, timings };
}
