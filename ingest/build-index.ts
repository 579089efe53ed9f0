// The ingest pipeline, top to bottom: read → parse → normalise → merge → chunk → embed → index → write.
// Used by the ingest CLI and by the server's first run; nothing here prints unless asked to.
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { Config } from '../src/config.js';
import type { LoadedEmbeddings } from '../src/embeddings/load-embedding-model.js';
import { ParseError } from '../src/errors.js';
import { silentProgress, type Progress } from '../src/progress.js';
import {
  buildVectorStore,
  CHUNKER_VERSION,
  manifestMismatches,
  newBuildId,
  readIndex,
  writeIndex,
  type ChunkingSignature,
  type EmbeddingSignature,
  type IndexManifest,
} from '../src/store/index-store.js';
import type { Chunk, Paper } from '../src/types.js';
import { chunkPaper } from './chunk-abstract.js';
import { mergePapers } from './merge-papers.js';
import { normalisePaper } from './normalise-paper.js';
import { parseSource, type SourceFormat } from './parse-source.js';
import { readSourceFile } from './read-source-file.js';

export interface FileReport {
  file: string;
  format: SourceFormat | null;
  records: number;
  noText: number;
  errors: ParseError[];
}

export interface BuildReport {
  files: FileReport[];
  /** Papers read from the files this run. */
  ingested: number;
  added: number;
  updated: number;
  skipped: number;
  noText: number;
  chunksEmbedded: number;
  chunksReused: number;
  /** Why everything was re-embedded, when it was. */
  reembedReason: string | null;
  warnings: string[];
  manifest: IndexManifest;
  buildDir: string;
  papers: Paper[];
}

export interface BuildOptions {
  config: Config;
  files: string[];
  loaded: LoadedEmbeddings;
  /** Drop the existing index and build from these files alone. */
  replace?: boolean;
  progress?: Progress;
  onPaper?: (paper: Paper, file: string) => void;
}

export function embeddingSignature(loaded: LoadedEmbeddings): EmbeddingSignature {
  const { modelId, dims, pooling, queryPrefix, documentPrefix } = loaded.info;
  return { modelId, dims, pooling, queryPrefix, documentPrefix };
}

export function chunkingSignature(config: Config): ChunkingSignature {
  return { chunker: CHUNKER_VERSION, ...config.chunking };
}

function fingerprint(papers: Paper[]): string {
  const h = createHash('sha1');
  for (const p of [...papers].sort((a, b) => a.id.localeCompare(b.id))) h.update(`${p.id}\u0001${p.title ?? ''}\u0001${p.abstract ?? ''}\u0002`);
  return h.digest('hex').slice(0, 16);
}

/**
 * Builds (or updates) the index in config.dataDir from `files`, atomically.
 * @example await buildIndex({ config, files: ['export.ris'], loaded })
 */
export async function buildIndex(options: BuildOptions): Promise<BuildReport> {
  const { config, loaded } = options;
  const progress = options.progress ?? silentProgress;
  const started = Date.now();
  const signature = embeddingSignature(loaded);
  const chunking = chunkingSignature(config);
  const existing = options.replace ? null : await readIndex(config.dataDir, loaded.embeddings, config.hnsw.efSearch);
  const mismatches = existing ? manifestMismatches(existing.manifest, signature, chunking) : [];
  const reembedReason = mismatches.length ? `the index was built differently (${mismatches.join('; ')})` : null;

  // read → parse → normalise
  const warnings: string[] = [];
  const fileReports: FileReport[] = [];
  const incoming: Paper[] = [];
  progress.start('parsing', options.files.length, 'files');
  for (const [i, file] of options.files.entries()) {
    const report: FileReport = { file, format: null, records: 0, noText: 0, errors: [] };
    fileReports.push(report);
    try {
      const source = await readSourceFile(file);
      warnings.push(...source.warnings);
      const parsed = parseSource(file, source.text);
      report.format = parsed.format;
      report.errors.push(...parsed.errors);
      for (const raw of parsed.papers) {
        const { paper, warnings: w } = normalisePaper(raw, path.basename(file));
        warnings.push(...w);
        if (!paper.hasText && paper.authors.length === 0 && !paper.doi && !paper.pmid) {
          report.errors.push(new ParseError(file, 'record has no title, abstract, authors or identifier', raw.line));
          continue;
        }
        incoming.push(paper);
        report.records++;
        if (!paper.hasText) report.noText++;
        options.onPaper?.(paper, file);
      }
    } catch (error) {
      if (!(error instanceof ParseError)) throw error;
      report.errors.push(error);
    }
    progress.update(i + 1);
  }
  progress.stop();

  // merge → chunk
  const { papers, added, updated } = mergePapers(existing?.papers ?? [], incoming);
  const chunks: Chunk[] = papers.flatMap((p) => chunkPaper(p, config.chunking));

  // embed, reusing the vectors of unchanged chunks when the index was built the same way
  const dims = signature.dims;
  const reusable = new Map<string, Float32Array>();
  if (existing && !reembedReason) {
    existing.chunks.forEach((c, i) => reusable.set(c.text, existing.vectors.subarray(i * dims, (i + 1) * dims)));
  }
  const vectors = new Float32Array(chunks.length * dims);
  const missing: number[] = [];
  chunks.forEach((c, i) => {
    const hit = reusable.get(c.text);
    if (hit) vectors.set(hit, i * dims);
    else missing.push(i);
  });
  if (missing.length) {
    progress.start('embedding', missing.length, 'chunks');
    const texts = missing.map((i) => loaded.info.documentPrefix + chunks[i].text);
    const embedded = await loaded.embeddings.embedRaw(texts, (done) => progress.update(done));
    embedded.forEach((v, j) => vectors.set(v, missing[j] * dims));
    progress.stop();
  }

  // index → write
  const store = buildVectorStore(loaded.embeddings, chunks, vectors, dims, config.hnsw);
  const withText = papers.filter((p) => p.hasText).length;
  const manifest: IndexManifest = {
    formatVersion: 1,
    buildId: newBuildId(),
    builtAt: new Date().toISOString(),
    buildMs: 0,
    embedding: signature,
    chunking,
    hnsw: { m: config.hnsw.m, efConstruction: config.hnsw.efConstruction },
    corpusFingerprint: fingerprint(papers),
    sources: [...new Set([...(existing?.manifest.sources ?? []), ...options.files.map((f) => path.resolve(f))])],
    counts: { papers: papers.length, papersWithText: withText, papersWithoutText: papers.length - withText, chunks: chunks.length },
  };
  manifest.buildMs = Date.now() - started;
  const buildDir = await writeIndex(config.dataDir, { manifest, papers, chunks, vectors, store });

  return {
    files: fileReports,
    ingested: incoming.length,
    added,
    updated,
    skipped: fileReports.reduce((n, f) => n + f.errors.length, 0),
    noText: incoming.filter((p) => !p.hasText).length,
    chunksEmbedded: missing.length,
    chunksReused: chunks.length - missing.length,
    reembedReason,
    warnings,
    manifest,
    buildDir,
    papers,
  };
}
