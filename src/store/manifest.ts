// What a build says about itself, and the signatures that decide whether a configuration may use
// it: vectors made with another model, pooling, prefixes or chunking must never answer a query.
import { createHash } from 'node:crypto';
import type { Config, EmbeddingDtype } from '../config.js';
import type { EmbeddingModelInfo } from '../embeddings/load-embedding-model.js';
import type { Paper } from '../types.js';
import { CHUNKER_VERSION } from './chunk-paper.js';

/** The on-disk layout this code writes and reads. Version 1 kept every chunk and vector twice. */
export const FORMAT_VERSION = 2;

export interface EmbeddingSignature {
  modelId: string;
  dims: number;
  /** The model file's numeric type: a q8 model's vectors are not an fp32 model's. Absent in builds before it was recorded, which were all fp32. */
  dtype?: EmbeddingDtype;
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
  formatVersion: typeof FORMAT_VERSION;
  buildId: string;
  builtAt: string;
  buildMs: number;
  embedding: EmbeddingSignature;
  chunking: ChunkingSignature;
  /** The vector backend that wrote vectors/ and its parameters. */
  vectors: { backend: string; m: number; efConstruction: number };
  /** Hash of every paper id and text: two indexes of the same corpus share it. */
  corpusFingerprint: string;
  sources: string[];
  counts: { papers: number; papersWithText: number; papersWithoutText: number; chunks: number };
}

/** A signature's dtype: builds written before it was recorded were all fp32. */
export function dtypeOf(signature: Pick<EmbeddingSignature, 'dtype'>): EmbeddingDtype {
  return signature.dtype ?? 'fp32';
}

export function embeddingSignature(info: EmbeddingModelInfo): EmbeddingSignature {
  const { modelId, dims, dtype, pooling, queryPrefix, documentPrefix } = info;
  return { modelId, dims, dtype, pooling, queryPrefix, documentPrefix };
}

export function chunkingSignature(config: Config): ChunkingSignature {
  return { chunker: CHUNKER_VERSION, ...config.chunking };
}

export function corpusFingerprint(papers: readonly Paper[]): string {
  const h = createHash('sha1');
  for (const p of [...papers].sort((a, b) => a.id.localeCompare(b.id))) h.update(`${p.id}\u0001${p.title ?? ''}\u0001${p.abstract ?? ''}\u0002`);
  return h.digest('hex').slice(0, 16);
}

/** What differs between a build and the configuration that wants to use it; empty when it may. */
export function manifestMismatches(manifest: Pick<IndexManifest, 'embedding' | 'chunking'>, embedding: EmbeddingSignature, chunking: ChunkingSignature): string[] {
  const out: string[] = [];
  const e = manifest.embedding;
  if (e.modelId !== embedding.modelId) out.push(`embedding model ${e.modelId} ≠ ${embedding.modelId}`);
  if (e.dims !== embedding.dims) out.push(`dimensions ${e.dims} ≠ ${embedding.dims}`);
  if (dtypeOf(e) !== dtypeOf(embedding)) out.push(`model dtype ${dtypeOf(e)} ≠ ${dtypeOf(embedding)}`);
  if (e.pooling !== embedding.pooling) out.push(`pooling ${e.pooling} ≠ ${embedding.pooling}`);
  if (e.queryPrefix !== embedding.queryPrefix || e.documentPrefix !== embedding.documentPrefix) out.push('query/document prefixes differ');
  const c = manifest.chunking;
  if (c.chunker !== chunking.chunker || c.sentencesPerChunk !== chunking.sentencesPerChunk || c.overlap !== chunking.overlap) {
    out.push(`chunking ${c.chunker}/${c.sentencesPerChunk}/${c.overlap} ≠ ${chunking.chunker}/${chunking.sentencesPerChunk}/${chunking.overlap}`);
  }
  return out;
}
