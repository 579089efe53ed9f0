// The Postgres store against a real Postgres: PGlite with pgvector on the wire protocol, started
// here (or TEST_DATABASE_URL's server). Ingest → ask over HTTP, filters as SQL with the embedded
// store's results, migrations, a killed ingest, and two server processes on one database.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { syntheticAbstracts } from '../bench/synthetic-corpus.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestFiles } from '../ingest/ingest-files.js';
import type { Config } from '../src/config.js';
import { loadEmbeddingModel, type LoadedEmbeddings } from '../src/embeddings/load-embedding-model.js';
import { FileStore, openStore } from '../src/store/index-store.js';
import type { OpenIndex } from '../src/store/index-dir.js';
import type { SearchFilters } from '../src/store/filters.js';
import { LexicalIndex } from '../src/store/lexical-index.js';
import { DatabaseVersionError, SCHEMA_VERSION } from '../src/store/postgres/schema.js';
import { startTestServer, type TestServer } from './server-harness.js';
import { startTestDatabase, type TestDatabase } from './postgres-server.js';
import { fixture, ROOT, SEED, tempDir, testConfig, until } from './helpers.js';

let db: TestDatabase;
let tmp: ReturnType<typeof tempDir>;
let config: Config;
let loaded: LoadedEmbeddings;
let sql: pg.Pool;
const cleanups: Array<() => unknown> = [];

beforeAll(async () => {
  db = await startTestDatabase();
  tmp = tempDir();
  config = testConfig(tmp.dir, db.env);
  loaded = await loadEmbeddingModel(config);
  sql = new pg.Pool({ connectionString: db.url, max: 2 });
  await ingestFiles({ config, files: [SEED], loaded });
}, 60_000);

afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
  await sql.end();
  await db.stop();
  tmp.cleanup();
});

const s = () => `"${db.schema}"`;
const currentId = async () => (await sql.query(`SELECT b.build_id FROM ${s()}.current_build c JOIN ${s()}.builds b USING (seq)`)).rows[0]?.build_id as string | undefined;

describe('the Postgres store', () => {
  it('answers over HTTP from a build that lives in the database, with DATA_DIR holding no index', async () => {
    const server = await startTestServer(db.env, tmp.dir);
    cleanups.push(() => server.close());
    const health = await (await fetch(`${server.url}/api/health`)).json();
    expect(health).toMatchObject({ status: 'ready', papers: 9, vectorBackend: 'pgvector', store: 'postgres' });
    const res = await server.post('/api/ask', { question: 'What did patients say about residential alternatives to hospital admission?' });
    const body = await res.json();
    expect(res.status).toBe(200);
    expect(body.answerable).toBe(true);
    expect(body.citations[0].label).toMatch(/^Gilburt/);
    // Everything the index is lives in Postgres; the data directory has only the model cache.
    expect(existsSync(path.join(tmp.dir, 'index'))).toBe(false);
  });

  it('applies its migrations once, however many processes connect at once, and refuses a newer schema', async () => {
    const stores = await Promise.all([openStore(config), openStore(config), openStore(config)]);
    await Promise.all(stores.map((st) => st.close()));
    const { rows } = await sql.query(`SELECT version FROM ${s()}.schema_migrations ORDER BY version`);
    expect(rows.map((r) => r.version)).toEqual(Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1));

    const newer = testConfig(tmp.dir, { ...db.env, DATABASE_SCHEMA: `${db.schema}_newer` });
    await (await openStore(newer)).close();
    await sql.query(`INSERT INTO "${db.schema}_newer".schema_migrations (version) VALUES ($1)`, [SCHEMA_VERSION + 1]);
    const refused = openStore(newer);
    await expect(refused).rejects.toBeInstanceOf(DatabaseVersionError);
    await expect(refused).rejects.toThrow(/newer version of abstracts-chat/);
    await sql.query(`DROP SCHEMA "${db.schema}_newer" CASCADE`);
  });
});

describe('filters in SQL', () => {
  let pgIndex: OpenIndex;
  let fileIndex: OpenIndex;
  beforeAll(async () => {
    const store = await openStore(config);
    cleanups.push(() => store.close());
    pgIndex = await store.open();
    // The seed listing has no venues; the RIS export brings two, and papers without a year.
    const files = testConfig(path.join(tmp.dir, 'files'));
    await ingestFiles({ config: files, files: [SEED, fixture('sample.ris')], loaded });
    await ingestFiles({ config, files: [fixture('sample.ris')], loaded });
    pgIndex = await store.open();
    fileIndex = await new FileStore(files).open();
  });

  const gilburt = () => pgIndex.corpus.papers.find((p) => p.label.startsWith('Gilburt'))!.id;
  const cases = (): Array<[string, SearchFilters]> => [
    ['none', {}],
    ['year range', { yearFrom: 2015, yearTo: 2020 }],
    ['author, any case and accent', { authors: 'GILBÚRT' }],
    ['venue', { venue: 'psychiatric' }],
    ['a blank author text, which filters nothing', { authors: '   ' }],
    ['design', { design: 'qualitative' }],
    ['paper ids', { paperIds: [gilburt()] }],
    ['an empty scope', { paperIds: [] }],
  ];

  it('ranks BM25 exactly as the embedded store does, with and without each filter', async () => {
    expect(pgIndex.corpus.paperCount).toBe(fileIndex.corpus.paperCount);
    for (const [name, f] of cases()) {
      let found = 0;
      for (const q of ['peer support and stigma', 'residential alternatives to hospital', 'employment of peer specialists', 'peer workers in acute psychiatric wards']) {
        const [a, b] = await Promise.all([pgIndex.lexical.search(q, 10, f), fileIndex.lexical.search(q, 10, f)]);
        found += a.length;
        expect(a.map((h) => h.row), `${name}: ${q}`).toEqual(b.map((h) => h.row));
        a.forEach((h, i) => expect(h.score).toBeCloseTo(b[i].score, 9));
      }
      // Every filter but the empty scope matches something, so no case compares nothing with nothing.
      if (name !== 'an empty scope') expect(found, name).toBeGreaterThan(0);
    }
  });

  it('finds the same nearest chunks as the embedded store, with and without each filter', async () => {
    const [v] = await loaded.embeddings.embedRaw(['peer support and stigma']);
    for (const [name, f] of cases()) {
      const [a, b] = await Promise.all([pgIndex.vectors.search(v, 8, f), fileIndex.vectors.search(v, 8, f)]);
      expect(a.map((h) => h.row), name).toEqual(b.map((h) => h.row));
      a.forEach((h, i) => expect(h.similarity).toBeCloseTo(b[i].similarity, 5));
    }
  });

  it('filters inside the search, not after the cut: a scope far from the query still fills k', async () => {
    // Gilburt's chunks are nowhere near this query's top 3; a post-filter would return nothing.
    const [v] = await loaded.embeddings.embedRaw(['employment of peer support specialists']);
    const unfiltered = await pgIndex.vectors.search(v, 3);
    expect(unfiltered.some((h) => pgIndex.corpus.paperOfRow(h.row).id === gilburt())).toBe(false);
    const scoped = await pgIndex.vectors.search(v, 3, { paperIds: [gilburt()] });
    expect(scoped).toHaveLength(3);
    for (const h of scoped) expect(pgIndex.corpus.paperOfRow(h.row).id).toBe(gilburt());
  });

  it('re-ingesting unchanged papers embeds nothing: their vectors come back from the database', async () => {
    const report = await ingestFiles({ config, files: [SEED, fixture('sample.ris')], loaded });
    expect(report.chunksEmbedded).toBe(0);
    expect(report.chunksReused).toBe(pgIndex.corpus.chunkCount);
  });
});

function run(script: string, args: string[], env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, script), ...args], { cwd: ROOT, env: { ...process.env, EMBEDDING_MODEL: 'offline', ...env } });
}


/** A JSON-lines export of `n` distinct synthetic papers, big enough that writing it takes seconds. */
function syntheticExport(file: string, n: number): string {
  const topics = ['peer support', 'stigma', 'recovery', 'employment', 'loneliness', 'housing', 'crisis care', 'family carers'];
  const lines = Array.from({ length: n }, (_, i) => {
    const a = topics[i % topics.length];
    const b = topics[(i * 7 + 3) % topics.length];
    const sentences = Array.from({ length: 12 }, (_, j) => `Study ${i} measured ${a} and ${b} in cohort ${j} of ${100 + ((i * 31 + j) % 900)} adults, finding effect ${((i * j) % 97) / 10}.`);
    return JSON.stringify({ title: `Synthetic study ${i} of ${a} and ${b}`, abstract: sentences.join(' '), authors: [`Author${i} Person`], year: 2000 + (i % 25) });
  });
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

describe('an interrupted ingest', () => {
  it('Ctrl-C lets go of the write lease: the next ingest, with --no-wait, goes ahead at once', async () => {
    // Papers of their own (the killed-ingest test below counts the library's papers).
    const file = path.join(tmp.dir, 'ctrl-c.jsonl');
    writeFileSync(file, syntheticAbstracts(600, 31).map((p) => JSON.stringify(p)).join('\n'));
    const env = { ...db.env, DATA_DIR: path.join(tmp.dir, 'ctrl-c'), EMBEDDING_BATCH_SIZE: '4' };
    const ingest = run('ingest/cli.ts', ['--no-papers', file], env);
    let err = '';
    const code = await new Promise<number | null>((resolve) => {
      ingest.stderr!.on('data', (d: Buffer) => {
        err += d.toString();
        if (!ingest.killed && /embedding: [1-9]\d*\/\d+ chunks/.test(err)) ingest.kill('SIGINT');
      });
      ingest.on('exit', (c) => resolve(c));
    });
    expect(code, err).toBe(130);
    const { rows } = await sql.query(`SELECT count(*)::int AS n FROM ${s()}.write_lease`);
    expect(rows[0].n).toBe(0);
    const next = run('ingest/cli.ts', ['--quiet', '--no-wait', file], env);
    let out = '';
    next.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    next.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    expect(await new Promise((r) => next.on('exit', r)), out).toBe(0);
    expect(out).toMatch(/Resumed: [1-9]\d* of \d+ chunks already embedded/);
  }, 180_000);
});

describe('a killed ingest', () => {
  it('leaves the previous build served; the next ingest drops its tables and completes', async () => {
    const server: TestServer = await startTestServer(db.env, tmp.dir);
    cleanups.push(() => server.close());
    const before = await currentId();
    const papersBefore = server.live.parts().corpus.paperCount;
    // 1,800 papers: about 9,900 chunks, every one holding "measured", so its posting list spans two blocks.
    const big = syntheticExport(path.join(tmp.dir, 'big.jsonl'), 1800);
    const ingest = run('ingest/cli.ts', ['--quiet', big], { ...db.env, DATA_DIR: tmp.dir });
    let out = '';
    ingest.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    // Kill it mid-write: once its build has some chunk rows in the database, and before it is current.
    const seq = await until('the ingest to start writing chunks', async () => {
      const { rows } = await sql.query(`SELECT seq FROM ${s()}.builds WHERE status = 'writing'`);
      if (!rows[0]) return undefined;
      const count = await sql.query(`SELECT count(*)::int AS n FROM ${s()}."b${rows[0].seq}_chunks"`);
      return count.rows[0].n > 0 ? (rows[0].seq as string) : undefined;
    }, 90_000);
    ingest.kill('SIGKILL');
    await new Promise((r) => ingest.on('exit', r));

    expect(await currentId()).toBe(before);
    await server.live.check();
    expect(server.live.parts().corpus.manifest.buildId).toBe(before);
    const res = await server.post('/api/ask', { question: 'What did patients say about residential alternatives to hospital admission?' });
    expect(res.status).toBe(200);
    expect((await res.json()).citations[0].label).toMatch(/^Gilburt/);

    // The dead writer's lease (this host, its pid gone) is taken over at once, and its half build dropped.
    const rerun = run('ingest/cli.ts', ['--quiet', big], { ...db.env, DATA_DIR: tmp.dir });
    rerun.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    expect(await new Promise((r) => rerun.on('exit', r)), out).toBe(0);
    expect(await currentId()).not.toBe(before);
    const { rows } = await sql.query(`SELECT seq, status FROM ${s()}.builds ORDER BY seq`);
    expect(rows.map((r) => r.seq)).not.toContain(seq);
    expect(rows.every((r) => r.status === 'complete')).toBe(true);
    const tables = await sql.query(`SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = $1 AND tablename LIKE $2`, [db.schema, `b${seq}\\_%`]);
    expect(tables.rows[0].n).toBe(0);
    await server.live.check();
    expect(server.live.parts().corpus.paperCount).toBe(papersBefore + 1800);

    // At this size the searches take the paths a small table never does.
    const store = await openStore(config);
    cleanups.push(() => store.close());
    const index = await store.open();
    // BM25 over posting lists split into blocks equals BM25 over the same chunks in memory.
    const memory = LexicalIndex.fromTexts(index.corpus.chunkTexts());
    expect(memory.documentFrequency('measur')).toBeGreaterThan(8192);
    for (const q of ['measured peer support in adults', 'cohort of adults and housing', 'residential alternatives to hospital']) {
      const [a, b] = [await index.lexical.search(q, 20), memory.query(q, 20)];
      expect(a.map((h) => h.row), q).toEqual(b.map((h) => h.row));
      a.forEach((h, i) => expect(h.score).toBeCloseTo(b[i].score, 9));
    }
    // The HNSW index: built with the configured parameters, used (here with sequential scans
    // off: at 10k rows the planner rightly prefers an exact scan), with HNSW_EF_SEARCH applied,
    // and it finds what an exact scan finds: asked with a chunk's own vector, it returns that chunk,
    // for most of twenty chunks across the table. Not for every one: the synthetic chunks differ
    // only in their numbers, and in such clusters a greedy graph walk can settle in the wrong one (a
    // CI run returned ten at cosine 0.507 when the exact thirtieth was 0.550). Some of the bundled
    // papers' chunks, far from every cluster, were out of its reach even at ef_search 1000; the
    // fused ranking still finds those papers by BM25, but that is worth its own look.
    const live = (await sql.query(`SELECT seq FROM ${s()}.current_build`)).rows[0].seq;
    const chunks = `${s()}."b${live}_chunks"`;
    const def = await sql.query(`SELECT indexdef FROM pg_indexes WHERE schemaname = $1 AND tablename = $2 AND indexdef LIKE '%hnsw%'`, [db.schema, `b${live}_chunks`]);
    expect(def.rows[0]?.indexdef).toMatch(new RegExp(`vector_cosine_ops\\) WITH \\(m='?${config.hnsw.m}'?, ef_construction='?${config.hnsw.efConstruction}'?\\)`));
    const all = await index.vectors.vectors!(Array.from({ length: index.corpus.chunkCount }, (_, r) => r));
    const probes = Array.from({ length: 20 }, (_, i) => Math.floor(((i + 0.5) * index.corpus.chunkCount) / 20));
    const v = all[probes[0]];
    const pool = (store as unknown as { pool: pg.Pool }).pool;
    const client = await pool.connect();
    let selfFound = 0;
    const missed: string[] = [];
    try {
      await client.query('BEGIN');
      await client.query('SET LOCAL enable_seqscan = off');
      expect((await client.query('SHOW hnsw.ef_search')).rows[0]['hnsw.ef_search']).toBe(String(config.hnsw.efSearch));
      const search = `SELECT row FROM ${chunks} ORDER BY embedding <=> $1::vector LIMIT 10`;
      const plan = await client.query(`EXPLAIN ${search}`, [`[${Array.from(v).join(',')}]`]);
      expect(plan.rows.map((r) => r['QUERY PLAN']).join('\n')).toMatch(/Index Scan using b\d+_chunks_embedding_idx/);
      for (const probe of probes) {
        const rows = (await client.query(search, [`[${Array.from(all[probe]).join(',')}]`])).rows.map((r) => r.row as number);
        // The chunk itself, or another with the very same vector, among the ten (the store's relaxed
        // iterative scan may return them a little out of order; the store sorts them).
        const cosines = rows.map((r) => all[r].reduce((sum, x, j) => sum + x * all[probe][j], 0));
        if (cosines.some((c) => c > 1 - 1e-6)) selfFound++;
        else missed.push(`${probe} (best cosine ${Math.max(...cosines).toFixed(3)})`);
      }
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    expect(selfFound, `missed: ${missed.join(', ')}`).toBeGreaterThanOrEqual(16);
  }, 240_000);
});

describe('two servers, one database', () => {
  it('each answers, and both switch to a build an ingest run elsewhere writes', async () => {
    const servers = [0, 1].map(() => {
      const dir = tempDir();
      cleanups.push(dir.cleanup);
      const child = run('src/server/main.ts', [], { ...db.env, DATA_DIR: dir.dir, PORT: '0', INDEX_POLL_MS: '250' });
      let log = '';
      child.stdout!.on('data', (d: Buffer) => (log += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
      cleanups.push(() => child.kill());
      return { child, log: () => log };
    });
    const urls = await Promise.all(servers.map((sv) => until('a port', async () => sv.log().match(/listening on (http:\/\/127\.0\.0\.1:\d+)/)?.[1])));
    const health = (url: string) => fetch(`${url}/api/health`).then((r) => r.json());
    const ready = await Promise.all(urls.map((u) => until('ready', async () => ((h) => (h.status === 'ready' ? h : undefined))(await health(u)))));
    expect(ready[0].buildId).toBe(ready[1].buildId);
    const papers = ready[0].papers;

    const ingest = run('ingest/cli.ts', ['--quiet', fixture('sample.nbib')], { ...db.env, DATA_DIR: tmp.dir });
    expect(await new Promise((r) => ingest.on('exit', r))).toBe(0);
    const after = await Promise.all(urls.map((u) => until('the switch', async () => ((h) => (h.papers > papers ? h : undefined))(await health(u)), 15_000)));
    expect(after[0].buildId).toBe(after[1].buildId);
    for (const url of urls) {
      // The new paper is served, and searched: its own title finds it. (Among the first few, not
      // necessarily first: pgvector's HNSW is approximate, and the fused ranking can put a paper
      // that both searches found above the one only BM25 ranked first.)
      expect((await fetch(`${url}/api/papers/pmid:30111222`)).status).toBe(200);
      const res = await fetch(`${url}/api/search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: 'suicide prevention training for peer workers', k: 5 }) });
      expect((await res.json()).results.map((r: { paperId: string }) => r.paperId)).toContain('pmid:30111222');
    }
  }, 180_000);
});

describe('a server whose settings differ from the shared library', () => {
  it('does not rebuild the library, and stops answering (503, not ready) once its own build is dropped', async () => {
    const other = { ...db.env, DATABASE_SCHEMA: `${db.schema}_settings` };
    const cfg = testConfig(tmp.dir, other);
    await ingestFiles({ config: cfg, files: [SEED], loaded });
    const store = await openStore(cfg);
    cleanups.push(() => store.close());
    const built = await store.readManifest();

    // Started with other chunking: it reports why, and leaves the library as it was.
    const { LiveIndex } = await import('../src/server/live-index.js');
    const { startServing } = await import('../src/server/start-serving.js');
    const oddConfig = testConfig(tmp.dir, { ...other, CHUNK_SENTENCES: '2', CHUNK_OVERLAP: '0', INDEX_POLL_MS: '0' });
    const odd = new LiveIndex(oddConfig, () => {});
    cleanups.push(() => odd.close());
    await startServing(oddConfig, odd, { log: () => {} });
    expect(odd.health()).toMatchObject({ status: 'error', message: expect.stringMatching(/built differently.*will not rebuild it/) });
    expect((await store.readManifest())!.buildId).toBe(built!.buildId);

    // A server on the library's settings, then two builds it cannot use: its own is dropped.
    const server = await startTestServer({ ...other, INDEX_POLL_MS: '0' }, tmp.dir);
    cleanups.push(() => server.close());
    expect((await fetch(`${server.url}/api/ready`)).status).toBe(200);
    const rechunked = testConfig(tmp.dir, { ...other, CHUNK_SENTENCES: '2', CHUNK_OVERLAP: '0' });
    await ingestFiles({ config: rechunked, files: [], loaded });
    await server.live.check();
    expect((await server.post('/api/ask', { question: 'Does peer support reduce self-stigma?' })).status).toBe(200);
    await ingestFiles({ config: rechunked, files: [fixture('sample.ris')], loaded });
    await server.live.check();
    const ready = await fetch(`${server.url}/api/ready`);
    expect(ready.status).toBe(503);
    expect((await ready.json()).message).toMatch(/is gone from .*cannot be used here/);
    const res = await server.post('/api/ask', { question: 'Does peer support reduce self-stigma?' });
    expect(res.status).toBe(503);
    await sql.query(`DROP SCHEMA "${db.schema}_settings" CASCADE`);
  }, 60_000);
});

describe('servers starting together on an empty database', () => {
  it('build the bundled corpus once between them', async () => {
    const env = { ...db.env, DATABASE_SCHEMA: `${db.schema}_empty`, PORT: '0', INDEX_POLL_MS: '250' };
    const servers = [0, 1, 2].map(() => {
      const dir = tempDir();
      cleanups.push(dir.cleanup);
      const child = run('src/server/main.ts', [], { ...env, DATA_DIR: dir.dir });
      let log = '';
      child.stdout!.on('data', (d: Buffer) => (log += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
      cleanups.push(() => child.kill());
      return () => log;
    });
    const urls = await Promise.all(servers.map((log) => until('a port', async () => log().match(/listening on (http:\/\/127\.0\.0\.1:\d+)/)?.[1])));
    await Promise.all(urls.map((u) => until('ready', async () => ((await fetch(`${u}/api/ready`)).status === 200 ? true : undefined), 90_000)));
    const { rows } = await sql.query(`SELECT count(*)::int AS n FROM "${db.schema}_empty".builds`);
    expect(rows[0].n).toBe(1);
    expect(servers.map((log) => log()).join('\n')).toMatch(/An index exists already/);
  }, 120_000);
});
