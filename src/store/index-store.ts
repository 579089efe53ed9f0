// The index on disk. Each build lives in its own folder under <dataDir>/index/builds/, and a
// one-line CURRENT file names the live one. A build is written completely before CURRENT is
// replaced (write + rename, atomic on POSIX), so a crash or Ctrl-C mid-ingest leaves the previous
// index exactly as it was, and a reader never sees half an index.
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Document } from '@langchain/core/documents';
import { HNSWLib } from '@langchain/community/vectorstores/hnswlib';
import { SynchronousInMemoryDocstore } from '@langchain/community/stores/doc/in_memory';
import hnswlib from 'hnswlib-node';
import type { EmbeddingsInterface } from '@langchain/core/embeddings';
import type { Chunk, Paper } from '../types.js';

export const CHUNKER_VERSION = 'sentences-v1';

export interface EmbeddingSignature {
  modelId: string;
  dims: number;
  pooling: 'mean' | 'cls';
  queryPrefix: string;
  documentPrefix: string;
}

export interface ChunkingSignature {
  chunker: string;
  sentencesPerChunk: number;
  overlap: number;
}

export interface IndexManifest {
  formatVersion: 1;
  buildId: string;
  builtAt: string;
  buildMs: number;
  embedding: EmbeddingSignature;
  chunking: ChunkingSignature;
  hnsw: { m: number; efConstruction: number };
  /** Hash of every paper id and text: two indexes of the same corpus share it. */
  corpusFingerprint: string;
  sources: string[];
  counts: { papers: number; papersWithText: number; papersWithoutText: number; chunks: number };
}

export interface StoredIndex {
  manifest: IndexManifest;
  papers: Paper[];
  chunks: Chunk[];
  /** Row i is the unit vector of chunks[i]; kept so a re-ingest re-embeds only what changed. */
  vectors: Float32Array;
  store: HNSWLib;
}

const indexRoot = (dataDir: string) => path.join(dataDir, 'index');
const currentFile = (dataDir: string) => path.join(indexRoot(dataDir), 'CURRENT');
const buildsDir = (dataDir: string) => path.join(indexRoot(dataDir), 'builds');

/**
 * Builds the HNSW graph for `vectors` (rows of `dims`) and wraps it as LangChain's HNSWLib store.
 * We fill hnswlib ourselves because HNSWLib.addVectors would re-init the graph with default M/ef.
 */
export function buildVectorStore(
  embeddings: EmbeddingsInterface,
  chunks: Chunk[],
  vectors: Float32Array,
  dims: number,
  hnsw: { m: number; efConstruction: number; efSearch: number },
): HNSWLib {
  const index = new hnswlib.HierarchicalNSW('cosine', dims);
  index.initIndex({ maxElements: Math.max(1, chunks.length), m: hnsw.m, efConstruction: hnsw.efConstruction, randomSeed: 100 });
  const docs = new Map<string, Document>();
  const row = new Array<number>(dims);
  chunks.forEach((chunk, i) => {
    for (let d = 0; d < dims; d++) row[d] = vectors[i * dims + d];
    index.addPoint(row, i);
    docs.set(String(i), new Document({ pageContent: chunk.text, metadata: { chunkId: chunk.id, paperId: chunk.paperId } }));
  });
  index.setEf(hnsw.efSearch);
  return new HNSWLib(embeddings, { space: 'cosine', numDimensions: dims, index, docstore: new SynchronousInMemoryDocstore(docs) });
}

/** Writes a complete build, then points CURRENT at it, then removes older builds. */
export async function writeIndex(dataDir: string, index: Omit<StoredIndex, 'store'> & { store: HNSWLib }): Promise<string> {
  const dir = path.join(buildsDir(dataDir), index.manifest.buildId);
  await mkdir(dir, { recursive: true });
  if (index.chunks.length > 0) await index.store.save(dir);
  await writeFile(path.join(dir, 'papers.json'), JSON.stringify(index.papers));
  await writeFile(path.join(dir, 'chunks.json'), JSON.stringify(index.chunks));
  const v = index.vectors;
  await writeFile(path.join(dir, 'vectors.f32'), new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
  // The manifest goes last: a build folder without one is incomplete by definition.
  await writeFile(path.join(dir, 'manifest.json'), JSON.stringify(index.manifest, null, 2));
  const tmp = `${currentFile(dataDir)}.${process.pid}.tmp`;
  await writeFile(tmp, `${index.manifest.buildId}\n`);
  await rename(tmp, currentFile(dataDir));
  await removeStaleBuilds(dataDir, index.manifest.buildId);
  return dir;
}

async function removeStaleBuilds(dataDir: string, keep: string): Promise<void> {
  const entries = await readdir(buildsDir(dataDir)).catch(() => [] as string[]);
  await Promise.all(entries.filter((e) => e !== keep).map((e) => rm(path.join(buildsDir(dataDir), e), { recursive: true, force: true })));
}

export function newBuildId(): string {
  return `${new Date().toISOString().replace(/[-:.]/g, '').replace('T', '-').slice(0, 15)}-${process.pid}-${Math.random().toString(36).slice(2, 6)}`;
}

export async function currentBuildDir(dataDir: string): Promise<string | null> {
  if (!existsSync(currentFile(dataDir))) return null;
  const id = (await readFile(currentFile(dataDir), 'utf8')).trim();
  const dir = path.join(buildsDir(dataDir), id);
  return existsSync(path.join(dir, 'manifest.json')) ? dir : null;
}

export async function readManifest(dataDir: string): Promise<IndexManifest | null> {
  const dir = await currentBuildDir(dataDir);
  return dir ? (JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8')) as IndexManifest) : null;
}

/** Loads the live index, or null when none has been built. */
export async function readIndex(dataDir: string, embeddings: EmbeddingsInterface, efSearch: number): Promise<StoredIndex | null> {
  const dir = await currentBuildDir(dataDir);
  if (!dir) return null;
  const manifest = JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8')) as IndexManifest;
  const [papers, chunks, vectorBytes] = await Promise.all([
    readFile(path.join(dir, 'papers.json'), 'utf8').then((s) => JSON.parse(s) as Paper[]),
    readFile(path.join(dir, 'chunks.json'), 'utf8').then((s) => JSON.parse(s) as Chunk[]),
    readFile(path.join(dir, 'vectors.f32')),
  ]);
  const vectors = new Float32Array(vectorBytes.buffer.slice(vectorBytes.byteOffset, vectorBytes.byteOffset + vectorBytes.byteLength));
  let store: HNSWLib;
  if (chunks.length > 0) {
    store = await HNSWLib.load(dir, embeddings);
    store.index.setEf(efSearch);
  } else {
    store = buildVectorStore(embeddings, [], new Float32Array(0), manifest.embedding.dims, { m: 16, efConstruction: 100, efSearch });
  }
  return { manifest, papers, chunks, vectors, store };
}

/** What differs between an index on disk and the configuration that wants to use it. */
export function manifestMismatches(manifest: IndexManifest, embedding: EmbeddingSignature, chunking: ChunkingSignature): string[] {
  const out: string[] = [];
  const e = manifest.embedding;
  if (e.modelId !== embedding.modelId) out.push(`embedding model ${e.modelId} ≠ ${embedding.modelId}`);
  if (e.dims !== embedding.dims) out.push(`dimensions ${e.dims} ≠ ${embedding.dims}`);
  if (e.pooling !== embedding.pooling) out.push(`pooling ${e.pooling} ≠ ${embedding.pooling}`);
  if (e.queryPrefix !== embedding.queryPrefix || e.documentPrefix !== embedding.documentPrefix) out.push('query/document prefixes differ');
  const c = manifest.chunking;
  if (c.chunker !== chunking.chunker || c.sentencesPerChunk !== chunking.sentencesPerChunk || c.overlap !== chunking.overlap) {
    out.push(`chunking ${c.chunker}/${c.sentencesPerChunk}/${c.overlap} ≠ ${chunking.chunker}/${chunking.sentencesPerChunk}/${chunking.overlap}`);
  }
  return out;
}
