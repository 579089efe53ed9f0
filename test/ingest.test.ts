import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HNSWLib } from '@langchain/community/vectorstores/hnswlib';
import { buildIndex } from '../ingest/build-index.js';
import { loadEmbeddingModel, type LoadedEmbeddings } from '../src/embeddings/load-embedding-model.js';
import { manifestMismatches, readIndex, readManifest } from '../src/store/index-store.js';
import { openOrBuildIndex } from '../src/server/bootstrap.js';
import { fixture, ROOT, SEED, tempDir, testConfig } from './helpers.js';

const tmp = tempDir();
const dataDir = path.join(tmp.dir, 'data');
const config = testConfig(dataDir);
let loaded: LoadedEmbeddings;

beforeAll(async () => {
  loaded = await loadEmbeddingModel(config);
});
afterAll(() => tmp.cleanup());

const FILES = ['sample.ris', 'sample.bib', 'sample.nbib', 'sample-pubmed.xml', 'sample-wos.txt', 'scopus.csv', 'sample.json', 'zotero-csl.json', 'sample.jsonl'].map(fixture);

describe('building the index', () => {
  it('builds a real HNSW index on disk from the seed listing and every format, with a manifest', async () => {
    const report = await buildIndex({ config, files: [SEED, ...FILES], loaded, replace: true });
    // 9 seed papers + 16 from the fixtures, one of which (the Okafor paper) is in both RIS and CSV.
    expect(report.ingested).toBe(9 + 16);
    expect(report.added).toBe(24);
    expect(report.updated).toBe(1);
    expect(report.noText).toBe(2);
    expect(report.skipped).toBe(1); // the broken JSONL line
    expect(report.files.find((f) => f.file.endsWith('sample.jsonl'))!.errors[0].message).toMatch(/sample\.jsonl:2: invalid JSON record/);
    const manifest = (await readManifest(dataDir))!;
    expect(manifest).toMatchObject({
      embedding: { modelId: 'offline:abstracts-offline-v1', dims: 256, pooling: 'mean' },
      chunking: { chunker: 'sentences-v1', sentencesPerChunk: 3, overlap: 1 },
      counts: { papers: 24, papersWithText: 22, papersWithoutText: 2 },
    });
    expect(manifest.counts.chunks).toBe(report.manifest.counts.chunks);
    expect(manifest.corpusFingerprint).toMatch(/^[0-9a-f]{16}$/);
  });

  it('answers a query through LangChain HNSWLib loaded from disk', async () => {
    const index = (await readIndex(dataDir, loaded.embeddings, 100))!;
    const store = await HNSWLib.load(path.dirname(path.join(dataDir, 'index', 'builds', index.manifest.buildId, 'x')), loaded.embeddings);
    const [top] = await store.similaritySearch('residential alternatives to hospital admission', 1);
    const gilburt = index.papers.find((p) => p.label.startsWith('Gilburt'))!;
    expect(top.metadata.paperId).toBe(gilburt.id);
    const hits = await store.similaritySearchWithScore('peer support for veterans recovery planning', 3);
    expect(hits[0][0].metadata.paperId).toBe('doi:10.5555/bmcp.2022.044');
  });

  it('re-ingesting the same file updates papers instead of duplicating them, and re-embeds nothing', async () => {
    const report = await buildIndex({ config, files: [fixture('sample.nbib')], loaded });
    expect(report).toMatchObject({ added: 0, updated: 2, chunksEmbedded: 0 });
    expect(report.manifest.counts.papers).toBe(24);
  });

  it('adds a second file to the index, and --replace rebuilds from scratch', async () => {
    const added = await buildIndex({ config, files: [fixture('ris-saved-as.txt')], loaded });
    expect(added.manifest.counts.papers).toBe(25);
    expect(added.chunksEmbedded).toBe(1);
    const replaced = await buildIndex({ config, files: [fixture('sample.json')], loaded, replace: true });
    expect(replaced.manifest.counts.papers).toBe(2);
    expect(readdirSync(path.join(dataDir, 'index', 'builds'))).toEqual([replaced.manifest.buildId]);
  });
});

describe('model and chunking mismatch', () => {
  it('detects an index built with another model or chunking', async () => {
    const manifest = (await readManifest(dataDir))!;
    expect(manifestMismatches(manifest, { ...manifest.embedding, modelId: 'Xenova/all-MiniLM-L6-v2', dims: 384 }, manifest.chunking)).toEqual([
      'embedding model offline:abstracts-offline-v1 ≠ Xenova/all-MiniLM-L6-v2',
      'dimensions 256 ≠ 384',
    ]);
    expect(manifestMismatches(manifest, manifest.embedding, manifest.chunking)).toEqual([]);
  });

  it('rebuilds from the stored papers rather than answering from mismatched vectors', async () => {
    const other = testConfig(dataDir, { CHUNK_SENTENCES: '2', CHUNK_OVERLAP: '0' });
    const logs: string[] = [];
    const { index, rebuilt } = await openOrBuildIndex(other, await loadEmbeddingModel(other), (l) => logs.push(l));
    expect(rebuilt).toBe('mismatch');
    expect(logs[0]).toMatch(/built differently \(chunking sentences-v1\/3\/1 ≠ sentences-v1\/2\/0\)/);
    expect(index.manifest.chunking.sentencesPerChunk).toBe(2);
    expect(index.papers).toHaveLength(2);
  });
});

describe('the ingest command', () => {
  const cli = (args: string[], env: Record<string, string> = {}) =>
    spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'ingest/cli.ts'), ...args], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, EMBEDDING_MODEL: 'offline', ...env },
    });

  it('prints help', () => {
    const r = cli(['--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/Usage: npm run ingest/);
  });

  it('ingests the bundled listing, printing the papers and a summary', () => {
    const d = tempDir();
    const r = cli([SEED], { DATA_DIR: d.dir });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Chung, Tse, Lee et al. (2018)');
    expect(r.stdout).toMatch(/Ingested 9 papers from 1 file\(s\): 9 new, 0 updated, 0 skipped, 2 with no title or abstract/);
    expect(r.stdout).toMatch(/Index: 9 papers \(7 with text\)/);
    d.cleanup();
  });

  it('exits non-zero naming the bad file and record, after ingesting the good ones', () => {
    const d = tempDir();
    const r = cli([fixture('broken.json'), fixture('sample.ris'), path.join(d.dir, 'missing.ris')], { DATA_DIR: d.dir });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/error: .*broken\.json:\d+: invalid JSON/);
    expect(r.stderr).toMatch(/error: .*missing\.ris: cannot read the file \(ENOENT\)/);
    expect(r.stdout).toMatch(/Ingested 2 papers from 3 file\(s\): 2 new, 0 updated, 2 skipped/);
    d.cleanup();
  });
});

describe('atomic writes', () => {
  it('a build killed mid-way leaves the previous index intact and loadable', async () => {
    const d = tempDir();
    const cfg = testConfig(d.dir);
    const before = await buildIndex({ config: cfg, files: [SEED], loaded, replace: true });
    // Enough synthetic abstracts that the embedding phase is still running when we kill it.
    const big = path.join(d.dir, 'big.jsonl');
    const sentence = 'Peer support workers described how lived experience shaped trust with service users in community teams.';
    writeFileSync(big, Array.from({ length: 4000 }, (_, i) => JSON.stringify({ title: `Synthetic study ${i}`, abstract: `${sentence} Finding ${i} was reported. ${sentence}`, year: 2000 + (i % 20) })).join('\n'));
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'ingest/cli.ts'), big], {
      cwd: ROOT,
      env: { ...process.env, EMBEDDING_MODEL: 'offline', DATA_DIR: d.dir, EMBEDDING_BATCH_SIZE: '8' },
    });
    await new Promise<void>((resolve) => {
      child.stderr.on('data', (chunk: Buffer) => {
        if (/embedding: \d+\/\d+ chunks/.test(chunk.toString())) child.kill('SIGKILL');
      });
      child.on('exit', () => resolve());
    });
    const after = (await readIndex(d.dir, loaded.embeddings, 100))!;
    expect(after.manifest.buildId).toBe(before.manifest.buildId);
    expect(after.papers).toHaveLength(9);
    expect(after.chunks.length).toBe(before.manifest.counts.chunks);
    // The next good build cleans up what the killed one left behind.
    const next = await buildIndex({ config: cfg, files: [fixture('sample.ris')], loaded });
    expect(readdirSync(path.join(d.dir, 'index', 'builds'))).toEqual([next.manifest.buildId]);
    d.cleanup();
  });
});
