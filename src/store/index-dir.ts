// The index on disk. Each build lives in its own folder under <dataDir>/index/builds/, and a
// one-line CURRENT file names the live one. A build is written completely before CURRENT is
// replaced (write + rename, atomic on POSIX), so a crash or Ctrl-C mid-ingest leaves the previous
// index exactly as it was, and a reader never sees half an index. A build folder holds each thing
// once: manifest.json, papers.jsonl + papers.bin, chunks.bin and lexical.bin (the corpus), and
// vectors/ (the backend's files).
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config.js';
import { silentProgress, type Progress } from '../progress.js';
import type { Paper } from '../types.js';
import { Corpus } from './corpus.js';
import { PaperTable } from './paper-table.js';
import { hnswBackend } from './hnsw-index.js';
import { langchainHnswlibBackend } from './langchain-index.js';
import { FORMAT_VERSION, type IndexManifest } from './manifest.js';
import { postingsSearch } from './lexical-index.js';
import type { LexicalSearch, VectorBackend, VectorIndex } from './vector-index.js';

/** A build ready to query: its corpus, its vectors and its BM25. */
export interface OpenIndex {
  corpus: Corpus;
  vectors: VectorIndex;
  lexical: LexicalSearch;
}

export const BACKENDS: Record<string, VectorBackend> = { [hnswBackend.name]: hnswBackend, [langchainHnswlibBackend.name]: langchainHnswlibBackend };

export function backendNamed(name: string): VectorBackend {
  const backend = BACKENDS[name];
  if (!backend) throw new Error(`Unknown vector backend "${name}"; known: ${Object.keys(BACKENDS).join(', ')}.`);
  return backend;
}

/** No build has been written in this data directory yet. */
export class NoIndexError extends Error {
  override readonly name = 'NoIndexError';
}

/** The build was written by an older version in another layout; its papers can be rebuilt. */
export class IndexLayoutError extends Error {
  override readonly name = 'IndexLayoutError';
  constructor(
    readonly dir: string,
    readonly formatVersion: unknown,
  ) {
    super(`the index in ${dir} uses the on-disk layout of version ${String(formatVersion)}, not ${FORMAT_VERSION}; it has to be rebuilt from its papers (npm run ingest -- --rebuild, or npm start)`);
  }
}

const indexRoot = (dataDir: string) => path.join(dataDir, 'index');
export const currentFile = (dataDir: string) => path.join(indexRoot(dataDir), 'CURRENT');
const buildsDir = (dataDir: string) => path.join(indexRoot(dataDir), 'builds');

export function newBuildId(): string {
  return `${new Date().toISOString().replace(/[-:.]/g, '').replace('T', '-').slice(0, 15)}-${process.pid}-${Math.random().toString(36).slice(2, 6)}`;
}

/** The id CURRENT names, or null before the first build. */
export async function currentBuildId(dataDir: string): Promise<string | null> {
  try {
    return (await readFile(currentFile(dataDir), 'utf8')).trim() || null;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

async function currentBuild(dataDir: string): Promise<{ dir: string; manifest: IndexManifest }> {
  const id = await currentBuildId(dataDir);
  const dir = id ? path.join(buildsDir(dataDir), id) : null;
  if (!dir || !existsSync(path.join(dir, 'manifest.json'))) throw new NoIndexError(`No index in ${dataDir}. Run npm run ingest -- <files> (or npm start, which builds the bundled corpus).`);
  return { dir, manifest: JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8')) as IndexManifest };
}

/** The live build's manifest, or null when there is none. Any layout. */
export async function readManifest(dataDir: string): Promise<IndexManifest | null> {
  return currentBuild(dataDir).then(
    (b) => b.manifest,
    (error) => {
      if (error instanceof NoIndexError) return null;
      throw error;
    },
  );
}

/**
 * Opens the live build, reading each file once.
 * @throws NoIndexError before the first build; IndexLayoutError for a build in an older layout.
 */
export async function openIndex(config: Config): Promise<OpenIndex & { dir: string }> {
  const { dir, manifest } = await currentBuild(config.dataDir);
  if (manifest.formatVersion !== FORMAT_VERSION) throw new IndexLayoutError(dir, manifest.formatVersion);
  const corpus = await Corpus.open(dir, manifest);
  const vectors = await backendNamed(manifest.vectors.backend).open(dir, corpus, manifest.embedding.dims, config);
  return { corpus, vectors, lexical: postingsSearch(corpus), dir };
}

/** The live build's papers, in any layout this project has written (version 1 kept them in papers.json). */
export async function readStoredPapers(dataDir: string): Promise<{ papers: Paper[]; manifest: IndexManifest } | null> {
  const build = await currentBuild(dataDir).catch((error) => {
    if (error instanceof NoIndexError) return null;
    throw error;
  });
  if (!build) return null;
  // By what the folder holds rather than what its manifest says, so a hand-edited manifest still rebuilds.
  const papers = existsSync(path.join(build.dir, 'papers.jsonl'))
    ? (await PaperTable.open(build.dir)).all()
    : (JSON.parse(await readFile(path.join(build.dir, 'papers.json'), 'utf8')) as Paper[]);
  return { papers, manifest: build.manifest };
}

/** Writes a complete build, then points CURRENT at it, then removes older builds. */
export async function writeIndex(dataDir: string, index: OpenIndex, progress: Progress = silentProgress): Promise<string> {
  const { manifest } = index.corpus;
  const dir = path.join(buildsDir(dataDir), manifest.buildId);
  await mkdir(dir, { recursive: true });
  // Two parts, each written whole by one call (the graph by hnswlib): the bar counts parts.
  let written = 0;
  progress.start('writing', 2, 'parts');
  const part = (p: Promise<void>) => p.then(() => progress.update(++written));
  await Promise.all([part(index.corpus.save(dir)), part(index.vectors.save(dir))]);
  progress.stop();
  // The manifest goes last: a build folder without one is incomplete by definition.
  await writeFile(path.join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2));
  const tmp = `${currentFile(dataDir)}.${process.pid}.tmp`;
  await writeFile(tmp, `${manifest.buildId}\n`);
  await rename(tmp, currentFile(dataDir));
  await removeStaleBuilds(dataDir, manifest.buildId);
  return dir;
}

async function removeStaleBuilds(dataDir: string, keep: string): Promise<void> {
  const entries = await readdir(buildsDir(dataDir)).catch(() => [] as string[]);
  await Promise.all(entries.filter((e) => e !== keep).map((e) => rm(path.join(buildsDir(dataDir), e), { recursive: true, force: true })));
}
