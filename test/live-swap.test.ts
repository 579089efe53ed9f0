// A real server process and a real ingest process on 127.0.0.1: the server builds its first index
// by running the ingest command, and picks up a later ingest within a few seconds, under a small
// concurrent load, without one failed request. In process: parts taken before a swap finish on the
// old build, and builds that cannot be served are not.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ingestFiles } from '../ingest/ingest-files.js';
import { loadEmbeddingModel } from '../src/embeddings/load-embedding-model.js';
import { LiveIndex } from '../src/server/live-index.js';
import { startServing } from '../src/server/start-serving.js';
import { fixture, ROOT, SEED, tempDir, testConfig, until } from './helpers.js';

const tmp = tempDir();
const env = { ...process.env, DATA_DIR: tmp.dir, EMBEDDING_MODEL: 'offline', PORT: '0', INDEX_POLL_MS: '250' };
let server: ChildProcess | undefined;
afterAll(() => {
  server?.kill();
  tmp.cleanup();
});

function run(script: string, args: string[] = []): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, script), ...args], { cwd: ROOT, env });
}


describe('a running server and an ingest', () => {
  it('builds the first index with the ingest command, then swaps in a new build under load', async () => {
    server = run('src/server/main.ts');
    let log = '';
    server.stdout!.on('data', (d: Buffer) => (log += d.toString()));
    server.stderr!.on('data', (d: Buffer) => (log += d.toString()));
    const port = await until('the port', async () => log.match(/listening on http:\/\/127\.0\.0\.1:(\d+)/)?.[1]);
    const url = `http://127.0.0.1:${port}`;
    const health = () => fetch(`${url}/api/health`).then((r) => r.json());

    // While the first build runs, the API says so rather than failing.
    const first = await until('the first build', async () => {
      const h = await health();
      return h.status === 'ready' ? h : undefined;
    });
    expect(log).toMatch(/No index yet: building one from .*seed-abstracts\.txt/);
    expect(first).toMatchObject({ papers: 9, reloads: 0 });

    // A small concurrent load for the whole swap: every request must succeed.
    const question = 'Did peer support reduce self-stigma?';
    const answers: Array<{ status: number; papers: number; cited: string[] }> = [];
    let loading = true;
    const worker = async () => {
      while (loading) {
        const res = await fetch(`${url}/api/ask`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ question }) });
        const body = await res.json();
        answers.push({ status: res.status, papers: body.papers?.length ?? -1, cited: (body.citations ?? []).map((c: { paperId: string }) => c.paperId) });
      }
    };
    const workers = Array.from({ length: 4 }, worker);

    const ingest = run('ingest/cli.ts', ['--quiet', fixture('sample.ris'), fixture('sample.nbib')]);
    const code = await new Promise<number | null>((resolve) => ingest.on('exit', resolve));
    expect(code).toBe(0);
    const ingestDone = Date.now();
    const swapped = await until('the swap', async () => {
      const h = await health();
      return h.reloads === 1 ? h : undefined;
    }, 10_000);
    const swapSeconds = (Date.now() - ingestDone) / 1000;
    expect(swapSeconds).toBeLessThan(5);
    expect(swapped.papers).toBe(13);
    expect(swapped.buildId).not.toBe(first.buildId);
    await new Promise((r) => setTimeout(r, 500)); // keep the load on after the swap
    loading = false;
    await Promise.all(workers);

    expect(answers.length).toBeGreaterThan(20);
    expect(answers.filter((a) => a.status !== 200)).toEqual([]);
    // The new papers are searchable: a question only a newly ingested paper answers.
    const res = await fetch(`${url}/api/search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: 'peer support workers in acute psychiatric wards', k: 1 }) });
    expect((await res.json()).results[0].paperId).toBe('doi:10.5555/jpmhn.2019.0112');
    expect(log).toMatch(/Switched to a new build: 13 papers/);
  }, 120_000);
});

/** A live index serving the bundled listing from a fresh data dir, with its log kept. */
async function servingTheSeed() {
  const d = tempDir();
  const config = testConfig(d.dir);
  const loaded = await loadEmbeddingModel(config);
  await ingestFiles({ config, files: [SEED], loaded });
  const logs: string[] = [];
  const live = new LiveIndex(config, (l) => logs.push(l));
  live.setModel(loaded);
  expect(await live.check()).toEqual({ ready: true });
  return { d, config, loaded, live, logs };
}

describe('the live index, in process', () => {
  it('lets parts taken before a swap finish on the old build, whose folder is gone by then', async () => {
    const d = tempDir();
    const config = testConfig(d.dir);
    const loaded = await loadEmbeddingModel(config);
    await ingestFiles({ config, files: [SEED], loaded });
    const live = new LiveIndex(config, () => {});
    live.setModel(loaded);
    expect(await live.check()).toEqual({ ready: true });
    const before = live.parts();
    await ingestFiles({ config, files: [fixture('sample.ris')], loaded });
    expect(await live.check()).toEqual({ ready: true });
    const after = live.parts();
    expect(after.corpus.manifest.buildId).not.toBe(before.corpus.manifest.buildId);
    expect(live.health().reloads).toBe(1);
    // The old build's folder was removed by the ingest; what was taken from it still answers, whole.
    const old = await before.answerer.ask({ question: 'What did patients say about residential alternatives to hospital?' });
    expect(old.answerable).toBe(true);
    for (const c of old.citations) expect(before.corpus.paper(c.paperId)).toBeDefined();
    expect(before.corpus.paperCount).toBe(9);
    expect(after.corpus.paperCount).toBe(11);
    d.cleanup();
  });

  it('keeps serving its build when a new one was made with another chunking, and says so once', async () => {
    const { d, loaded, live, logs } = await servingTheSeed();
    const serving = live.parts().corpus.manifest.buildId;
    const other = testConfig(d.dir, { CHUNK_SENTENCES: '2', CHUNK_OVERLAP: '0' });
    await ingestFiles({ config: other, files: [], loaded });
    await live.check();
    await live.check();
    expect(live.parts().corpus.manifest.buildId).toBe(serving);
    expect(live.health()).toMatchObject({ status: 'ready', reloads: 0, message: expect.stringMatching(/new build was found but not used: the index was built differently \(chunking/) });
    expect(logs.filter((l) => l.includes('not used'))).toHaveLength(1);
    d.cleanup();
  });

  it('a server that could not open an index at start comes up with the first good ingest', async () => {
    const d = tempDir();
    const config = testConfig(d.dir, { CORPUS_PATH: `${d.dir}/missing.txt`, INDEX_POLL_MS: '100' });
    const live = new LiveIndex(config, () => {});
    const logs: string[] = [];
    await startServing(config, live, { log: (l) => logs.push(l) });
    expect(live.health().status).toBe('error');
    expect(logs.join('\n')).toMatch(/missing\.txt does not exist/);
    await ingestFiles({ config, files: [SEED], loaded: await loadEmbeddingModel(config) });
    for (let i = 0; i < 50 && live.health().status !== 'ready'; i++) await new Promise((r) => setTimeout(r, 100));
    expect(live.health()).toMatchObject({ status: 'ready', message: undefined });
    expect(live.parts().corpus.paperCount).toBe(9);
    live.close();
    d.cleanup();
  });

  it('a damaged new build is not served, is said once, and is not reopened every tick', async () => {
    const { d, config, loaded, live, logs } = await servingTheSeed();
    const serving = live.parts().corpus.manifest.buildId;
    const next = await ingestFiles({ config, files: [fixture('sample.ris')], loaded });
    writeFileSync(path.join(next.buildDir, 'chunks.bin'), 'ABT1'); // truncated
    for (let i = 0; i < 3; i++) await live.check();
    expect(live.parts().corpus.manifest.buildId).toBe(serving);
    expect(live.health().message).toMatch(/new build was found but not used: it could not be read/);
    expect(logs.filter((l) => l.includes('not used'))).toHaveLength(1);
    // The next good build is taken.
    await ingestFiles({ config, files: [fixture('sample.nbib')], loaded, replace: true });
    await live.check();
    expect(live.health()).toMatchObject({ reloads: 1, message: undefined });
    d.cleanup();
  });
});
