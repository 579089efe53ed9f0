// The ingest pipeline, top to bottom: read → parse → normalise → merge, then the store's
// chunk → embed → index, then an atomic write. Used by the ingest CLI (which the server also runs
// for its first build); nothing here prints unless asked to.
import path from 'node:path';
import type { Config } from '../src/config.js';
import type { LoadedEmbeddings } from '../src/embeddings/load-embedding-model.js';
import { ParseError } from '../src/errors.js';
import { silentProgress, type Progress } from '../src/progress.js';
import { buildIndex, type BuildTimings } from '../src/store/build-index.js';
import { IndexLayoutError, NoIndexError } from '../src/store/index-dir.js';
import { openStore, type IndexStore } from '../src/store/index-store.js';
import { VectorCheckpoint } from '../src/store/vector-checkpoint.js';
import { chunkingSignature, embeddingSignature, manifestMismatches, type IndexManifest } from '../src/store/manifest.js';
import type { Paper } from '../src/types.js';
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
  /** Chunks whose vectors an interrupted earlier run had computed (its checkpoint). */
  chunksResumed: number;
  /** Where the time went, in ms: reading, parsing and normalising; merging; then buildIndex's stages; then writing. */
  timings: { parseMs: number; mergeMs: number; writeMs: number } & BuildTimings;
  /** Why everything was re-embedded, when it was. */
  reembedReason: string | null;
  warnings: string[];
  manifest: IndexManifest;
  /** Where the build went: its folder, or its database and build id. */
  buildDir: string;
  papers: Paper[];
  /** False when files were given but not one paper could be read from them: the index was left as it was. */
  written: boolean;
}

export interface BuildOptions {
  config: Config;
  files: string[];
  loaded: LoadedEmbeddings;
  /** Where builds live; the one the configuration names (openStore) by default. */
  store?: IndexStore;
  /** Drop the existing index and build from these files alone. */
  replace?: boolean;
  progress?: Progress;
  onPaper?: (paper: Paper, file: string) => void;
  /** When another ingest holds the data directory: wait for it (default), or fail with IndexLockedError. */
  wait?: boolean;
  /** Told once when this ingest has to wait for another. */
  onWait?: (message: string) => void;
  /** Aborted (Ctrl-C): the ingest stops at the next record batch or embedding batch, and writes nothing. */
  signal?: AbortSignal;
}

/** What the live build offers this run: its papers, and a vector for each chunk text it can re-use. */
async function previousBuild(config: Config, store: IndexStore, loaded: LoadedEmbeddings): Promise<{ papers: Paper[]; manifest: IndexManifest | null; reuse?: (texts: string[]) => Promise<Array<Float32Array | undefined>>; reembedReason: string | null }> {
  let open;
  try {
    open = await store.open();
  } catch (error) {
    if (error instanceof NoIndexError) return { papers: [], manifest: null, reembedReason: null };
    if (!(error instanceof IndexLayoutError)) throw error;
    const stored = (await store.readStoredPapers())!;
    return { papers: stored.papers, manifest: stored.manifest, reembedReason: 'the index was written in an older on-disk layout' };
  }
  const { corpus, vectors } = open;
  const mismatches = manifestMismatches(corpus.manifest, embeddingSignature(loaded.info), chunkingSignature(config));
  if (mismatches.length || !vectors.vectors) {
    return { papers: [...corpus.papers], manifest: corpus.manifest, reembedReason: mismatches.length ? `the index was built differently (${mismatches.join('; ')})` : `the ${vectors.backend} backend cannot give its vectors back` };
  }
  const rows = new Map<string, number>();
  corpus.chunkTexts().forEach((text, row) => rows.set(text, row));
  const give = vectors.vectors.bind(vectors);
  const reuse = async (texts: string[]) => {
    const known = texts.map((t) => rows.get(t));
    const found = await give(known.filter((r) => r !== undefined));
    let next = 0;
    return known.map((r) => (r === undefined ? undefined : found[next++]));
  };
  return { papers: [...corpus.papers], manifest: corpus.manifest, reembedReason: null, reuse };
}

/**
 * Builds (or updates) the index in config.dataDir from `files`, atomically. With no files, it
 * rebuilds the stored papers (after a change of model, chunking or on-disk layout).
 * @example await ingestFiles({ config, files: ['export.ris'], loaded })
 */
export function ingestFiles(options: BuildOptions): Promise<BuildReport> {
  return locked(options, (store) => ingestLocked(options, store));
}

/**
 * The first build: ingests only when the store holds no index yet, checked under the write lock,
 * so several servers starting together on an empty database build it once. Null when one exists.
 */
export function ingestIfEmpty(options: BuildOptions): Promise<BuildReport | null> {
  return locked(options, async (store) => ((await store.readManifest()) ? null : ingestLocked(options, store)));
}

async function locked<T>(options: BuildOptions, fn: (store: IndexStore) => Promise<T>): Promise<T> {
  const store = options.store ?? (await openStore(options.config));
  try {
    // The lock spans read-merge-write: a build merges onto the build it read, so two at once lose papers.
    return await store.withWriteLock(() => fn(store), {
      wait: options.wait ?? true,
      onWait: (h) => options.onWait?.(`Waiting for another ingest (pid ${h.pid} on ${h.host}, since ${h.startedAt}) to finish…`),
    });
  } finally {
    if (!options.store) await store.close();
  }
}

async function ingestLocked(options: BuildOptions, store: IndexStore): Promise<BuildReport> {
  const { config, loaded } = options;
  const progress = options.progress ?? silentProgress;
  const existing = options.replace ? { papers: [], manifest: null, reembedReason: null } : await previousBuild(config, store, loaded);
  const { reembedReason } = existing;

  // read → parse → normalise
  const warnings: string[] = [];
  const fileReports: FileReport[] = [];
  const incoming: Paper[] = [];
  let t0 = performance.now();
  for (const [i, file] of options.files.entries()) {
    const report: FileReport = { file, format: null, records: 0, noText: 0, errors: [] };
    fileReports.push(report);
    try {
      const source = await readSourceFile(file);
      warnings.push(...source.warnings);
      const parsed = parseSource(file, source.text);
      report.format = parsed.format;
      report.errors.push(...parsed.errors);
      warnings.push(...parsed.warnings);
      const many = options.files.length > 1 ? ` ${i + 1}/${options.files.length}` : '';
      progress.start(`parsing${many}`, parsed.papers.length, 'records');
      for (const [r, raw] of parsed.papers.entries()) {
        if (r % 1_000 === 0) {
          progress.update(r);
          options.signal?.throwIfAborted();
        }
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
      progress.update(parsed.papers.length);
    } catch (error) {
      if (!(error instanceof ParseError)) throw error;
      report.errors.push(error);
    }
    progress.stop();
  }
  const parseMs = performance.now() - t0;
  const skipped = fileReports.reduce((n, f) => n + f.errors.length, 0);

  // Files of which not one record could be read change nothing: the live build stays, unrewritten
  // (at 100k papers a rewrite is minutes of indexing for nothing).
  if (options.files.length > 0 && incoming.length === 0 && existing.manifest && !reembedReason && !options.replace) {
    const zero = { chunkMs: 0, embedMs: 0, indexMs: 0, mergeMs: 0, writeMs: 0 };
    return { files: fileReports, ingested: 0, added: 0, updated: 0, skipped, noText: 0, chunksEmbedded: 0, chunksReused: 0, chunksResumed: 0, timings: { parseMs, ...zero }, reembedReason, warnings, manifest: existing.manifest, buildDir: store.location, papers: existing.papers, written: false };
  }

  // merge, then chunk → embed (re-using unchanged chunks' vectors) → index → write
  t0 = performance.now();
  const { papers, added, updated } = mergePapers(existing.papers, incoming);
  const mergeMs = performance.now() - t0;
  const sources = [...new Set([...(existing.manifest?.sources ?? []), ...options.files.map((f) => path.resolve(f))])];
  // The checkpoint is a cache: a data directory it cannot be made in costs only resumability.
  const checkpoint = await VectorCheckpoint.open(config.dataDir, embeddingSignature(loaded.info)).catch((error: Error) => {
    warnings.push(`no resume checkpoint (${error.message}): a rerun after a crash would embed everything again`);
    return undefined;
  });
  let built;
  try {
    built = await buildIndex(papers, loaded, { config, backend: store.backend, reuse: existing.reuse, sources, progress, checkpoint, signal: options.signal });
  } finally {
    checkpoint?.close(); // what was embedded before a failure stays for the rerun
  }
  // Once writing starts it finishes: the switch to the new build is the last, atomic step.
  options.signal?.throwIfAborted();
  t0 = performance.now();
  const buildDir = await store.write(built, progress);
  const writeMs = performance.now() - t0;
  checkpoint?.remove();
  const manifest = built.corpus.manifest;

  return {
    files: fileReports,
    ingested: incoming.length,
    added,
    updated,
    skipped,
    noText: incoming.filter((p) => !p.hasText).length,
    chunksEmbedded: built.embedded,
    chunksReused: built.reused,
    chunksResumed: built.resumed,
    timings: { parseMs, mergeMs, ...built.timings, writeMs },
    reembedReason,
    warnings,
    manifest,
    buildDir,
    papers,
    written: true,
  };
}
