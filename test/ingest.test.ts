import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestFiles } from '../ingest/ingest-files.js';
import { loadEmbeddingModel, type LoadedEmbeddings } from '../src/embeddings/load-embedding-model.js';
import { IndexLayoutError, openIndex, readManifest } from '../src/store/index-dir.js';
import { embeddingSignature, manifestMismatches } from '../src/store/manifest.js';
import { HNSW_FILE } from '../src/store/hnsw-index.js';
import { VectorCheckpoint } from '../src/store/vector-checkpoint.js';
import { ensureOfflineModel } from '../src/embeddings/offline-model.js';
import { syntheticAbstracts } from '../bench/synthetic-corpus.js';
import { formatSeconds, RateWindow } from '../src/progress.js';
import { Retriever } from '../src/retrieve/retriever.js';
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
  it('builds a real HNSW index on disk from the seed listing and every format, each thing stored once', async () => {
    const report = await ingestFiles({ config, files: [SEED, ...FILES], loaded, replace: true });
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
    expect(manifest).toMatchObject({ formatVersion: 2, vectors: { backend: 'hnsw' } });
    const build = path.join(dataDir, 'index', 'builds', manifest.buildId);
    expect(readdirSync(build).sort()).toEqual(['chunks.bin', 'lexical.bin', 'manifest.json', 'papers.bin', 'papers.jsonl', 'vectors']);
    expect(readdirSync(path.join(build, 'vectors'))).toEqual(['hnsw.index']);
  });

  it('opens from disk and answers a query through the retriever', async () => {
    const retriever = new Retriever(await openIndex(config), loaded.embeddings);
    const [top] = await retriever.retrieve('residential alternatives to hospital admission', { k: 1 });
    expect(top.paper.label).toMatch(/^Gilburt/);
    const [veterans] = await retriever.retrieve('peer support for veterans recovery planning', { k: 3, mode: 'dense' });
    expect(veterans.paper.id).toBe('doi:10.5555/bmcp.2022.044');
  });

  it('re-ingesting the same file updates papers instead of duplicating them, and re-embeds nothing', async () => {
    const report = await ingestFiles({ config, files: [fixture('sample.nbib')], loaded });
    expect(report).toMatchObject({ added: 0, updated: 2, chunksEmbedded: 0 });
    expect(report.manifest.counts.papers).toBe(24);
  });

  it('adds a second file to the index, and --replace rebuilds from scratch', async () => {
    const added = await ingestFiles({ config, files: [fixture('ris-saved-as.txt')], loaded });
    expect(added.manifest.counts.papers).toBe(25);
    expect(added.chunksEmbedded).toBe(1);
    const replaced = await ingestFiles({ config, files: [fixture('sample.json')], loaded, replace: true });
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

  it('rebuilds from the stored papers rather than re-using mismatched vectors', async () => {
    const other = testConfig(dataDir, { CHUNK_SENTENCES: '2', CHUNK_OVERLAP: '0' });
    const report = await ingestFiles({ config: other, files: [], loaded: await loadEmbeddingModel(other) });
    expect(report.reembedReason).toMatch(/built differently \(chunking sentences-v1\/3\/1 ≠ sentences-v1\/2\/0\)/);
    expect(report.chunksReused).toBe(0);
    const { corpus } = await openIndex(other);
    expect(corpus.manifest.chunking.sentencesPerChunk).toBe(2);
    expect(corpus.papers).toHaveLength(2);
  });

  it('an index in the previous on-disk layout is detected, never misread, and rebuilt from its papers', async () => {
    const d = tempDir();
    const cfg = testConfig(d.dir);
    const current = await ingestFiles({ config: cfg, files: [SEED], loaded, replace: true });
    // What version 1 wrote: the same papers.json, a manifest without a vectors entry, and duplicates.
    const old = path.join(d.dir, 'index', 'builds', 'v1-build');
    mkdirSync(old, { recursive: true });
    writeFileSync(path.join(old, 'papers.json'), JSON.stringify(current.papers));
    writeFileSync(path.join(old, 'chunks.json'), '[]');
    writeFileSync(path.join(old, 'docstore.json'), '[]');
    const { vectors: _dropped, formatVersion: _v, ...rest } = current.manifest;
    writeFileSync(path.join(old, 'manifest.json'), JSON.stringify({ ...rest, formatVersion: 1, buildId: 'v1-build', hnsw: { m: 24, efConstruction: 100 } }));
    writeFileSync(path.join(d.dir, 'index', 'CURRENT'), 'v1-build\n');
    await expect(openIndex(cfg)).rejects.toBeInstanceOf(IndexLayoutError);
    await expect(openIndex(cfg)).rejects.toThrow(/layout of version 1.*npm run ingest -- --rebuild/);
    const rebuilt = await ingestFiles({ config: cfg, files: [], loaded });
    expect(rebuilt.reembedReason).toMatch(/older on-disk layout/);
    expect(rebuilt.manifest.counts).toEqual(current.manifest.counts);
    expect((await openIndex(cfg)).corpus.papers.map((p) => p.id)).toEqual(current.papers.map((p) => p.id));
    d.cleanup();
  });

  it('a current build whose manifest claims an older layout is rebuilt from what the folder holds', async () => {
    const d = tempDir();
    const cfg = testConfig(d.dir);
    const current = await ingestFiles({ config: cfg, files: [SEED], loaded, replace: true });
    const manifestFile = path.join(d.dir, 'index', 'builds', current.manifest.buildId, 'manifest.json');
    writeFileSync(manifestFile, JSON.stringify({ ...current.manifest, formatVersion: 1 }));
    await expect(openIndex(cfg)).rejects.toBeInstanceOf(IndexLayoutError);
    const rebuilt = await ingestFiles({ config: cfg, files: [], loaded });
    expect(rebuilt.manifest.counts).toEqual(current.manifest.counts);
    d.cleanup();
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

  it('builds into --data-dir, and npm run ask answers from that same --data-dir', () => {
    const d = tempDir();
    const elsewhere = path.join(d.dir, 'library');
    // DATA_DIR points somewhere else: only the flag can send both commands to the library.
    const env = { DATA_DIR: path.join(d.dir, 'unused') };
    expect(cli(['--quiet', '--data-dir', elsewhere, SEED], env).status).toBe(0);
    const ask = (args: string[]) =>
      spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/ask-cli.ts'), ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, EMBEDDING_MODEL: 'offline', ...env } });
    const r = ask(['--json', '--data-dir', elsewhere, 'What phases do peer support specialists go through?']);
    expect(r.status, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result.answerable).toBe(true);
    expect(result.citations[0].label).toMatch(/^Poremski/);
    expect(ask(['--help']).stdout).toMatch(/--data-dir <dir>/);
    // Without the flag it looks in DATA_DIR, where nothing was built.
    expect(ask(['What phases do peer support specialists go through?']).status).not.toBe(0);
    d.cleanup();
  });

  it('a bad setting is one line and exit 2; a dtype is read in any case', async () => {
    const bad = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'ingest/cli.ts'), SEED], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, EMBEDDING_DTYPE: 'bogus' } });
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim()).toMatch(/^Invalid configuration: EMBEDDING_DTYPE: .*"q8"/);
    expect(testConfig(tmp.dir, { EMBEDDING_DTYPE: 'Q8' }).embedding.dtype).toBe('q8');
  });

  it('ingests the bundled listing, printing the papers and a summary', () => {
    const d = tempDir();
    const r = cli([SEED], { DATA_DIR: d.dir });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Chung, Tse, Lee et al. (2018)');
    expect(r.stdout).toMatch(/Ingested 9 papers from 1 file: 9 new, 0 updated, 0 skipped, 2 with no title or abstract/);
    expect(r.stdout).toMatch(/Index: 9 papers \(7 with text\)/);
    d.cleanup();
  });

  it('exits non-zero naming the bad file and record, after ingesting the good ones', () => {
    const d = tempDir();
    const cut = path.join(d.dir, 'cut.ris');
    writeFileSync(cut, 'TY  - JOUR\nTI  - Recovery colleges and hope\nAB  - Students described hope and a sense of');
    const r = cli([fixture('broken.json'), fixture('sample.ris'), path.join(d.dir, 'missing.ris'), cut], { DATA_DIR: d.dir });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/error: .*broken\.json:\d+: invalid JSON/);
    expect(r.stderr).toMatch(/error: .*missing\.ris: cannot read the file \(ENOENT\)/);
    // A record cut off mid-way is kept, and said to be.
    expect(r.stderr).toMatch(/warning: .*cut\.ris:1: the record has no closing "ER {2}-" line \(is the file cut off\?\)/);
    expect(r.stdout).toMatch(/Ingested 3 papers from 4 files: 3 new, 0 updated, 2 skipped/);
    d.cleanup();
  });
});

describe('one writer at a time', () => {
  it('two ingests started together into one data directory end with every paper from both', async () => {
    const d = tempDir();
    const write = (name: string, n: number) => {
      const file = path.join(d.dir, name);
      writeFileSync(file, Array.from({ length: n }, (_, i) => JSON.stringify({ title: `${name} study ${i} of peer support`, abstract: `Study ${i} from ${name} reported outcomes for ${n} people.`, year: 2000 + (i % 20) })).join('\n'));
      return file;
    };
    const files = [write('a.jsonl', 300), write('b.jsonl', 300)];
    // Hold the lock from here until both have started and are waiting, so the two then contend for
    // it at the same moment, whatever the machine's speed.
    const lock = path.join(d.dir, 'index', 'LOCK');
    mkdirSync(path.dirname(lock), { recursive: true });
    writeFileSync(lock, JSON.stringify({ pid: process.pid, host: os.hostname(), startedAt: 'now' }));
    const runs = files.map((file) => {
      const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'ingest/cli.ts'), '--quiet', file], { cwd: ROOT, env: { ...process.env, EMBEDDING_MODEL: 'offline', DATA_DIR: d.dir } });
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      return { stderr: () => stderr, done: new Promise<number | null>((resolve) => child.on('exit', resolve)) };
    });
    for (let i = 0; i < 300 && !runs.every((r) => /Waiting for another ingest \(pid \d+/.test(r.stderr())); i++) await new Promise((r) => setTimeout(r, 100));
    expect(runs.map((r) => r.stderr())).toEqual([expect.stringMatching(/Waiting for another ingest/), expect.stringMatching(/Waiting for another ingest/)]);
    rmSync(lock);
    expect(await Promise.all(runs.map((r) => r.done))).toEqual([0, 0]);
    const { corpus } = await openIndex(testConfig(d.dir));
    expect(corpus.paperCount).toBe(600);
    expect(readdirSync(path.join(d.dir, 'index', 'builds'))).toEqual([corpus.manifest.buildId]);
    expect(readdirSync(path.join(d.dir, 'index')).sort()).toEqual(['CURRENT', 'builds']);
    d.cleanup();
  }, 60_000);

  it('--no-wait fails at once, naming the ingest that holds the index', async () => {
    const d = tempDir();
    mkdirSync(path.join(d.dir, 'index'), { recursive: true });
    // A live holder: this test process.
    writeFileSync(path.join(d.dir, 'index', 'LOCK'), JSON.stringify({ pid: process.pid, host: os.hostname(), startedAt: 'now' }));
    const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'ingest/cli.ts'), '--no-wait', SEED], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, EMBEDDING_MODEL: 'offline', DATA_DIR: d.dir } });
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(new RegExp(`another ingest \\(pid ${process.pid} on .*\\) is writing this index`));
    // A lock left by a process that is gone is stale and taken over.
    writeFileSync(path.join(d.dir, 'index', 'LOCK'), JSON.stringify({ pid: 2 ** 22 + 12345, host: os.hostname(), startedAt: 'long ago' }));
    expect(spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'ingest/cli.ts'), '--no-wait', '--quiet', SEED], { cwd: ROOT, env: { ...process.env, EMBEDDING_MODEL: 'offline', DATA_DIR: d.dir } }).status).toBe(0);
    d.cleanup();
  });
});

describe("the ingest command's output", () => {
  it('--quiet prints the summary and no progress, and one paper is "1 paper"', () => {
    const d = tempDir();
    const file = path.join(d.dir, 'one.json');
    writeFileSync(file, JSON.stringify([{ title: 'Peer support on wards', abstract: 'Peers helped patients on acute wards. Staff agreed.', year: 2020 }]));
    const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'ingest/cli.ts'), '--quiet', file], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, EMBEDDING_MODEL: 'offline', DATA_DIR: path.join(d.dir, 'data') } });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/Ingested 1 paper from 1 file: 1 new/);
    expect(`${r.stdout}${r.stderr}`).not.toMatch(/parsing:|embedding:|writing|\d+\/\d+ (files|chunks)/);
    d.cleanup();
  });
});

describe('progress and the --json summary', () => {
  it('shows every stage with a rate and an ETA in a log, and --json prints the summary as data: counts, errors with their line, timings', () => {
    const d = tempDir();
    const file = path.join(d.dir, 'papers.jsonl');
    writeFileSync(file, [...syntheticAbstracts(40, 5).map((p) => JSON.stringify(p)), '{"title": broken'].join('\n'));
    const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'ingest/cli.ts'), '--json', file], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, EMBEDDING_MODEL: 'offline', DATA_DIR: path.join(d.dir, 'data') } });
    expect(r.status).toBe(1); // one record skipped
    for (const stage of ['parsing: 40/40 records', 'embedding: \\d+/\\d+ chunks', 'indexing: \\d+/\\d+ vectors', 'writing: 2/2 parts']) {
      expect(r.stderr).toMatch(new RegExp(`${stage} \\(100%\\), [\\d.]+/s, ETA 0s`));
    }
    const summary = JSON.parse(r.stdout);
    expect(summary).toMatchObject({ ok: false, built: true, exitCode: 1, ingested: 40, added: 40, skipped: 1, embedding: { offline: true, dtype: 'fp32', dims: 256 } });
    expect(summary.files[0].errors).toEqual([{ message: expect.stringMatching(/papers\.jsonl:41: /), line: 41 }]);
    expect(r.stderr).toMatch(/error: .*papers\.jsonl:41: /); // said on stderr too, for a person watching
    expect(summary.chunks.embedded).toBe(summary.index.chunks);
    expect(Object.keys(summary.timings)).toEqual(['parseMs', 'mergeMs', 'chunkMs', 'embedMs', 'indexMs', 'writeMs']);
    d.cleanup();
  });

  it('a rate and an ETA come from the last 20 s, not the whole run', () => {
    const w = new RateWindow();
    w.reset(0);
    w.add(1_000, 10_000); // 100/s for the first 10 s
    w.add(1_100, 40_000); // then 100 in 30 s
    expect(w.rate()).toBeCloseTo(100 / 30, 5);
    expect(w.eta(1_200)).toBe(30);
    expect(formatSeconds(3_725)).toBe('1h02m');
  });
});

describe('Ctrl-C', () => {
  it('an interrupted ingest says how to resume, exits 130 and leaves no lock; the rerun resumes', async () => {
    const d = tempDir();
    const file = path.join(d.dir, 'papers.jsonl');
    writeFileSync(file, syntheticAbstracts(500, 8).map((p) => JSON.stringify(p)).join('\n'));
    const env = { ...process.env, EMBEDDING_MODEL: 'offline', DATA_DIR: d.dir, EMBEDDING_BATCH_SIZE: '4' };
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'ingest/cli.ts'), '--no-papers', file], { cwd: ROOT, env });
    let err = '';
    const code = await new Promise<number | null>((resolve) => {
      child.stderr.on('data', (chunk: Buffer) => {
        err += chunk.toString();
        if (!child.killed && /embedding: [1-9]\d*\/\d+ chunks \([3-9]\d%\)/.test(err)) child.kill('SIGINT');
      });
      child.on('exit', (c) => resolve(c));
    });
    expect(code).toBe(130);
    expect(err).toMatch(/Stopping after the current batch/);
    expect(err).toMatch(/Interrupted\. No partial index is ever served; the chunks embedded so far are kept in the checkpoint, so running the same command again resumes from them\./);
    expect(existsSync(path.join(d.dir, 'index', 'LOCK'))).toBe(false);
    const rerun = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'ingest/cli.ts'), '--no-papers', file], { cwd: ROOT, env, encoding: 'utf8' });
    expect(rerun.stdout).toMatch(/Resumed: [1-9]\d* of \d+ chunks already embedded/);
    d.cleanup();
  }, 120_000);
});

describe('atomic writes', () => {
  it('a build killed mid-way leaves the previous index intact and loadable', async () => {
    const d = tempDir();
    const cfg = testConfig(d.dir);
    const before = await ingestFiles({ config: cfg, files: [SEED], loaded, replace: true });
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
    const after = (await openIndex(cfg)).corpus;
    expect(after.manifest.buildId).toBe(before.manifest.buildId);
    expect(after.papers).toHaveLength(9);
    expect(after.chunkCount).toBe(before.manifest.counts.chunks);
    // The next good build cleans up what the killed one left behind.
    const next = await ingestFiles({ config: cfg, files: [fixture('sample.ris')], loaded });
    expect(readdirSync(path.join(d.dir, 'index', 'builds'))).toEqual([next.manifest.buildId]);
    d.cleanup();
  });
});

describe('the model file a dtype names', () => {
  /** A local model folder holding the offline model's files, its ONNX file under the names given. */
  async function localModel(root: string, onnxNames: string[]): Promise<string> {
    const source = await ensureOfflineModel(path.join(root, 'offline'));
    const target = path.join(root, 'local', 'tiny-local-model');
    cpSync(source, target, { recursive: true });
    rmSync(path.join(target, 'onnx', 'model.onnx'));
    for (const name of onnxNames) cpSync(path.join(source, 'onnx', 'model.onnx'), path.join(target, 'onnx', name));
    return path.join(root, 'local');
  }

  it('EMBEDDING_DTYPE=q8 loads onnx/model_quantized.onnx, and fp32 does not', async () => {
    const d = tempDir();
    const env = { EMBEDDING_MODEL: 'tiny-local-model', EMBEDDING_MODEL_PATH: await localModel(d.dir, ['model_quantized.onnx']), ALLOW_REMOTE_MODELS: 'false' };
    const q8 = await loadEmbeddingModel(testConfig(d.dir, { ...env, EMBEDDING_DTYPE: 'q8' }), { allowFallback: false });
    expect(q8.info).toMatchObject({ modelId: 'tiny-local-model', dtype: 'q8', offline: false });
    await expect(loadEmbeddingModel(testConfig(d.dir, env), { allowFallback: false })).rejects.toThrow(/not available/);
    d.cleanup();
  });

  it('the index records the dtype, and a change of dtype re-embeds every paper', async () => {
    const d = tempDir();
    const env = { EMBEDDING_MODEL: 'tiny-local-model', EMBEDDING_MODEL_PATH: await localModel(d.dir, ['model.onnx', 'model_quantized.onnx']), ALLOW_REMOTE_MODELS: 'false' };
    const fp32 = testConfig(path.join(d.dir, 'data'), env);
    const first = await ingestFiles({ config: fp32, files: [SEED], loaded: await loadEmbeddingModel(fp32, { allowFallback: false }) });
    expect(first.manifest.embedding.dtype).toBe('fp32');
    const q8 = testConfig(path.join(d.dir, 'data'), { ...env, EMBEDDING_DTYPE: 'q8' });
    const second = await ingestFiles({ config: q8, files: [], loaded: await loadEmbeddingModel(q8, { allowFallback: false }) });
    expect(second.reembedReason).toMatch(/model dtype fp32 ≠ q8/);
    expect(second.chunksReused).toBe(0);
    expect(second.manifest.embedding.dtype).toBe('q8');
    // A build from before the dtype was recorded was fp32, and still counts as fp32.
    const { dtype: _, ...older } = first.manifest.embedding;
    expect(manifestMismatches({ embedding: older, chunking: first.manifest.chunking }, first.manifest.embedding, first.manifest.chunking)).toEqual([]);
    d.cleanup();
  });
});

describe('a resumable build', () => {
  const cli = path.join(ROOT, 'ingest/cli.ts');

  it('an ingest killed half-way through embedding resumes: the rerun embeds only the rest, and the index equals an uninterrupted build', async () => {
    const d = tempDir();
    const file = path.join(d.dir, 'papers.jsonl');
    writeFileSync(file, syntheticAbstracts(700, 21).map((p) => JSON.stringify(p)).join('\n'));
    const resumedDir = path.join(d.dir, 'resumed');
    const env = { ...process.env, EMBEDDING_MODEL: 'offline', DATA_DIR: resumedDir, EMBEDDING_BATCH_SIZE: '8' };

    // Killed (SIGKILL, no chance to clean up) once the checkpoint holds half of the chunks.
    const child = spawn(process.execPath, ['--import', 'tsx', cli, '--no-papers', file], { cwd: ROOT, env });
    let total = 0;
    let checkpointed = 0;
    await new Promise<void>((resolve) => {
      let err = '';
      child.stderr.on('data', (chunk: Buffer) => {
        err += chunk.toString();
        total ||= Number(err.match(/embedding: 0\/(\d+) chunks/)?.[1] ?? 0);
      });
      const poll = setInterval(() => {
        const dir = path.join(resumedDir, 'checkpoints');
        const vectors = existsSync(dir) ? readdirSync(dir).find((f) => f.endsWith('.vectors')) : undefined;
        if (!total || !vectors) return;
        checkpointed = Math.floor(statSync(path.join(dir, vectors)).size / (16 + loaded.info.dims * 4));
        if (checkpointed >= total / 2) child.kill('SIGKILL');
      }, 2);
      child.on('exit', () => (clearInterval(poll), resolve()));
    });
    expect(child.signalCode).toBe('SIGKILL');
    expect(total).toBeGreaterThan(2000);
    expect(checkpointed).toBeLessThan(total); // killed during the embedding, not after it

    const rerun = spawnSync(process.execPath, ['--import', 'tsx', cli, '--no-papers', file], { cwd: ROOT, env, encoding: 'utf8' });
    expect(rerun.status).toBe(0);
    const resumed = Number(rerun.stdout.match(/Resumed: (\d+) of (\d+) chunks already embedded/)?.[1]);
    const embedded = Number(rerun.stdout.match(/chunks \((\d+) embedded/)?.[1]);
    expect(resumed + embedded).toBe(total);
    expect(embedded).toBeLessThan(0.55 * total);
    expect(readdirSync(path.join(resumedDir, 'checkpoints'))).toEqual([]); // removed once the build is written

    const cleanDir = path.join(d.dir, 'clean');
    await ingestFiles({ config: testConfig(cleanDir), files: [file], loaded });
    const [a, b] = await Promise.all([openIndex(testConfig(resumedDir)), openIndex(testConfig(cleanDir))]);
    expect(a.corpus.chunkTexts()).toEqual(b.corpus.chunkTexts());
    expect(a.corpus.papers.map((p) => p.id)).toEqual(b.corpus.papers.map((p) => p.id));
    const rows = a.corpus.chunkTexts().map((_, r) => r);
    const [va, vb] = await Promise.all([a.vectors.vectors!(rows), b.vectors.vectors!(rows)]);
    expect(va.every((v, r) => Buffer.from(v.buffer).equals(Buffer.from(vb[r].buffer)))).toBe(true);
    expect(readFileSync(path.join(a.dir, HNSW_FILE)).equals(readFileSync(path.join(b.dir, HNSW_FILE)))).toBe(true);
    d.cleanup();
  }, 120_000);

  it('reads back whole records only: a record cut short by a kill is dropped before the next run appends, damage is ignored, a text stored twice is taken once', async () => {
    const d = tempDir();
    const signature = embeddingSignature(loaded.info);
    // Unit vectors told apart by their first component.
    const v = (x: number) => {
      const out = new Float32Array(signature.dims);
      out[0] = x;
      out[1] = Math.sqrt(1 - x * x);
      return out;
    };
    const first = await VectorCheckpoint.open(d.dir, signature);
    first.add(['alpha', 'beta'], [v(0.1), v(0.2)]);
    first.add(['alpha'], [v(0.3)]);
    first.close();
    appendFileSync(first.file, Buffer.alloc(100, 7)); // a write the kill cut short
    // The next run appends after whole records only, so what it writes lines up.
    const second = await VectorCheckpoint.open(d.dir, signature);
    second.add(['gamma'], [v(0.4)]);
    second.add(['delta'], [new Float32Array(signature.dims).fill(Number.NaN)]); // damage
    second.close();
    const found = new Map<number, number>();
    const restored = second.restore(['beta', 'gamma', 'alpha', 'beta', 'delta'], (i, vector) => found.set(i, Math.round(vector[0] * 10) / 10));
    expect(restored).toBe(4);
    expect([...found.entries()].sort()).toEqual([
      [0, 0.2],
      [1, 0.4],
      [2, 0.1],
      [3, 0.2],
    ]);
    second.remove();
    expect(readdirSync(path.join(d.dir, 'checkpoints'))).toEqual([]);
    d.cleanup();
  });
});
