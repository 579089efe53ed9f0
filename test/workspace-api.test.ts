// The page's workspace over HTTP: saved conversations in SQLite (surviving a server restart), and
// papers added by upload (POST /api/ingest), ingested by the real ingest command and served through
// the live swap without a restart. Real server, real index, real SQLite file.
import { readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConversationStore } from '../src/conversations/conversation-store.js';
import { StorageError } from '../src/errors.js';
import { fixture, tempDir, until } from './helpers.js';
import { readSse, startTestServer, type TestServer } from './server-harness.js';

function upload(server: TestServer, files: Array<{ name: string; text: string | Uint8Array }>, headers: Record<string, string> = {}) {
  const form = new FormData();
  for (const f of files) form.append('files', new Blob([f.text as BlobPart]), f.name);
  return fetch(`${server.url}/api/ingest`, { method: 'POST', body: form, headers });
}

async function finished(server: TestServer, id: string, headers: Record<string, string> = {}) {
  return until(
    `ingest job ${id}`,
    async () => {
      const job = await (await fetch(`${server.url}/api/ingest/${id}`, { headers })).json();
      return job.status === 'running' ? undefined : job;
    },
    120_000,
  );
}

describe('saved conversations', () => {
  const tmp = tempDir();
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({}, tmp.dir);
  });
  afterAll(async () => {
    await server?.close();
    tmp.cleanup();
  });

  it('keeps each turn a chat request names, with its segments and cited spans, across a server restart', async () => {
    const created = await server.post('/api/conversations', {});
    expect(created.status).toBe(201);
    const { id } = await created.json();

    const events = await readSse(await server.post('/api/chat', { question: 'Does peer support reduce self-stigma?', conversationId: id }));
    const done = events.find((e) => e.event === 'done')!.data;
    expect(done.citations.length).toBeGreaterThan(0);
    const summary = await (await server.post('/api/summarize', { paperIds: done.citations.map((c: { paperId: string }) => c.paperId), conversationId: id })).json();
    expect(summary.citations.length).toBeGreaterThan(0);

    // A restart: a new server process on the same data directory opens the same SQLite file.
    await server.close();
    server = await startTestServer({}, tmp.dir);
    const saved = await (await fetch(`${server.url}/api/conversations/${id}`)).json();
    expect(saved.title).toBe('Does peer support reduce self-stigma?');
    expect(saved.turnList.map((t: { kind: string }) => t.kind)).toEqual(['ask', 'summarize']);
    const first = saved.turnList[0].result;
    expect(first.segments).toEqual(done.segments);
    expect(first.citations.map((c: { paperId: string; spans: unknown }) => [c.paperId, c.spans])).toEqual(done.citations.map((c: { paperId: string; spans: unknown }) => [c.paperId, c.spans]));
  });

  it('lists newest first, renames, deletes, and answers 404 for an unknown id before answering', async () => {
    const a = await (await server.post('/api/conversations', { title: 'older' })).json();
    await new Promise((r) => setTimeout(r, 5));
    const b = await (await server.post('/api/conversations', { title: 'newer' })).json();
    let list = (await (await fetch(`${server.url}/api/conversations`)).json()).conversations;
    expect(list.slice(0, 2).map((c: { id: string }) => c.id)).toEqual([b.id, a.id]);

    const renamed = await fetch(`${server.url}/api/conversations/${a.id}`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ title: 'Stigma, renamed' }) });
    expect((await renamed.json()).title).toBe('Stigma, renamed');
    list = (await (await fetch(`${server.url}/api/conversations`)).json()).conversations;
    expect(list[0].id).toBe(a.id);

    expect((await fetch(`${server.url}/api/conversations/${a.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await fetch(`${server.url}/api/conversations/${a.id}`)).status).toBe(404);
    const unknown = await server.post('/api/ask', { question: 'Does peer support help?', conversationId: 'no-such-id' });
    expect(unknown.status).toBe(404);
    expect((await unknown.json()).error.message).toMatch(/No conversation with id "no-such-id"/);
  });

  it('finds papers by every word of a search, in any order, and sorts and filters the list', async () => {
    const list = async (query: string) => (await (await fetch(`${server.url}/api/papers?${query}`)).json()).papers as Array<{ label: string; title: string | null; year: number | null; design: string | null }>;
    const both = await list('q=workers%20peer');
    expect(both.length).toBeGreaterThan(0);
    for (const p of both) expect(JSON.stringify(p).toLowerCase()).toMatch(/peer/);
    expect(await list('q=peer%20zzzunknown')).toEqual([]);
    const oldest = await list('sort=year-asc&limit=500');
    const years = oldest.map((p) => p.year).filter((y): y is number => y !== null);
    expect(years).toEqual([...years].sort((a, b) => a - b));
    expect(oldest.at(-1)!.year).toBeNull(); // undated last
    for (const p of await list('design=qualitative')) expect(p.design).toBe('qualitative');
    expect((await fetch(`${server.url}/api/papers?sort=sideways`)).status).toBe(400);
  });

  it('serves the page at a conversation link', async () => {
    const res = await fetch(`${server.url}/c/abc123`);
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/<script type="module" src="\/app.js">/);
  });

  it('refuses a database written by a newer version, rather than misreading it', () => {
    const file = path.join(tmp.dir, 'newer.sqlite');
    new ConversationStore(file).close();
    const raw = new Database(file);
    raw.pragma('user_version = 99');
    raw.close();
    expect(() => new ConversationStore(file)).toThrow(StorageError);
    expect(() => new ConversationStore(file)).toThrow(/newer version/);
  });
});

describe('adding papers by upload', () => {
  const tmp = tempDir();
  let server: TestServer;
  const auth = { authorization: 'Bearer upload-key' };

  beforeAll(async () => {
    server = await startTestServer({ API_KEY: 'upload-key', INGEST_LIMIT_BYTES: '200000' }, tmp.dir);
  });
  afterAll(async () => {
    await server?.close();
    tmp.cleanup();
  });

  it('ingests an uploaded RIS file with progress, and its papers answer without a restart; a bad file fails alone', async () => {
    const before = (await (await fetch(`${server.url}/api/health`, { headers: auth })).json()).papers;
    const res = await upload(server, [
      { name: 'sample.ris', text: readFileSync(fixture('sample.ris')) },
      { name: 'broken.json', text: readFileSync(fixture('broken.json')) },
    ], auth);
    expect(res.status).toBe(202);
    const job = await res.json();
    expect(job.status).toBe('running');
    expect(res.headers.get('location')).toBe(`/api/ingest/${job.id}`);

    const done = await finished(server, job.id, auth);
    expect(done.status).toBe('succeeded');
    expect(done.progress.stage).toBeTruthy();
    const files = done.result.files;
    expect(files.map((f: { file: string }) => path.basename(f.file))).toEqual(['sample.ris', 'broken.json']);
    expect(files[0].errors).toEqual([]);
    expect(files[1].errors.length).toBeGreaterThan(0);
    expect(files[1].errors[0].message).toMatch(/broken\.json/);
    expect(done.result.added).toBeGreaterThan(0);

    const health = await (await fetch(`${server.url}/api/health`, { headers: auth })).json();
    expect(health.papers).toBe(before + done.result.added);
    const answer = await (await server.post('/api/ask', { question: 'How do ward staff experience working with peer support workers?' }, auth)).json();
    expect(answer.citations.map((c: { title: string }) => c.title)).toContain('Peer support workers in acute psychiatric wards: a qualitative study');
  });

  it('runs one job at a time (409 naming the running one), applies API_KEY and INGEST_LIMIT_BYTES', async () => {
    const first = await (await upload(server, [{ name: 'sample.nbib', text: readFileSync(fixture('sample.nbib')) }], auth)).json();
    const second = await upload(server, [{ name: 'sample.bib', text: readFileSync(fixture('sample.bib')) }], auth);
    expect(second.status).toBe(409);
    expect((await second.json()).error.jobId).toBe(first.id);
    await finished(server, first.id, auth);

    expect((await upload(server, [{ name: 'sample.bib', text: readFileSync(fixture('sample.bib')) }])).status).toBe(401);
    const big = await upload(server, [{ name: 'big.ris', text: new Uint8Array(300_000).fill(65) }], auth);
    expect(big.status).toBe(413);
    expect((await big.json()).error.message).toMatch(/INGEST_LIMIT_BYTES/);
    const none = await fetch(`${server.url}/api/ingest`, { method: 'POST', body: new FormData(), headers: auth });
    expect([400, 415]).toContain(none.status);
  });

  it('leaves the index as it was, unrewritten, when not one paper can be read from an upload', async () => {
    const before = (await (await fetch(`${server.url}/api/health`, { headers: auth })).json()).buildId;
    const res = await upload(server, [{ name: 'picture.png', text: new Uint8Array([137, 80, 78, 71, 13, 10, 26, 10, 0, 0, 0, 13]) }, { name: 'broken.json', text: readFileSync(fixture('broken.json')) }], auth);
    const done = await finished(server, (await res.json()).id, auth);
    expect(done.status).toBe('succeeded');
    expect(done.result).toMatchObject({ ok: false, built: false, added: 0, updated: 0 });
    expect(done.result.files.every((f: { errors: unknown[] }) => f.errors.length > 0)).toBe(true);
    expect((await (await fetch(`${server.url}/api/health`, { headers: auth })).json()).buildId).toBe(before);
  });

  it("refuses an upload a page on another site, or on another port of this machine, posts; takes its own page's", async () => {
    const bib = [{ name: 'sample.bib', text: readFileSync(fixture('sample.bib')) }];
    const port = new URL(server.url).port;
    const foreign: Array<Record<string, string>> = [{ 'sec-fetch-site': 'cross-site' }, { 'sec-fetch-site': 'same-site' }, { origin: 'http://127.0.0.1:1' }, { origin: 'null' }];
    for (const headers of foreign) {
      expect((await upload(server, bib, { ...auth, ...headers })).status, JSON.stringify(headers)).toBe(403);
    }
    const own = await upload(server, bib, { ...auth, origin: `http://127.0.0.1:${port}`, 'sec-fetch-site': 'same-origin' });
    expect(own.status).toBe(202);
    await finished(server, (await own.json()).id, auth);
  });

  it('keeps a long non-ASCII file name, and reads a result as long as thousands of bad records make it', async () => {
    const good = { title: 'Peer support on night shifts among hospital porters', abstract: 'Porters who met peers on night shifts reported less isolation.', year: 2024, authors: ['Night, Nora'] };
    const records = [good, ...Array.from({ length: 8000 }, () => ({ note: 'x' }))];
    const res = await upload(server, [{ name: `${'한'.repeat(100)}.json`, text: JSON.stringify(records) }], auth);
    expect(res.status).toBe(202);
    const done = await finished(server, (await res.json()).id, auth);
    expect(done.status).toBe('succeeded');
    expect(done.result.files[0].errors).toHaveLength(8000);
    expect(done.result.added).toBe(1);
    expect(JSON.stringify(done)).not.toContain(server.config.dataDir);
    const found = await (await fetch(`${server.url}/api/papers?q=hospital%20porters`, { headers: auth })).json();
    expect(found.total).toBe(1);
  });
});
