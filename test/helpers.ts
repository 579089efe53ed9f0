// Shared test set-up: temp data directories, a config pinned to the offline model, the shared
// real-export fixtures (skipped with a message when ../shared is absent).
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig, type Config } from '../src/config.js';
import { decodeSource } from '../ingest/read-source-file.js';
import { parseSource } from '../ingest/parse-source.js';
import { normalisePaper } from '../ingest/normalise-paper.js';
import type { Paper } from '../src/types.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const FIXTURES = path.join(ROOT, 'test', 'fixtures');
export const SHARED_FIXTURES = path.resolve(ROOT, '..', 'shared', 'fixtures');
export const SEED = path.join(ROOT, 'ingest', 'corpus', 'seed-abstracts.txt');
export const hasSharedFixtures = existsSync(SHARED_FIXTURES);
if (!hasSharedFixtures) console.warn(`Skipping tests on real exports: ${SHARED_FIXTURES} is absent.`);

export function fixture(name: string): string {
  return path.join(FIXTURES, name);
}

export function tempDir(prefix = 'abstracts-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A config for tests: offline model, a temp data dir, no LLM unless given. */
export function testConfig(dataDir: string, env: Record<string, string> = {}): Config {
  return loadConfig({ DATA_DIR: dataDir, EMBEDDING_MODEL: 'offline', PORT: '0', ...env });
}

/** Reads, parses and normalises one file the way ingest does. */
export function papersFrom(file: string): Paper[] {
  const { text } = decodeSource(readFileSync(file), file);
  return parseSource(file, text).papers.map((raw) => normalisePaper(raw, path.basename(file)).paper);
}

/** Polls `probe` until it gives a value (errors count as not yet), or fails after `timeoutMs`. */
export async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A seeded pseudo-random generator (an LCG), so a randomised test is the same on every run. */
export function seededRandom(seed: number): { next: () => number; pick: <T>(xs: readonly T[]) => T } {
  let s = seed >>> 0;
  const next = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  return { next, pick: (xs) => xs[Math.floor(next() * xs.length)] };
}
