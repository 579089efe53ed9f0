// A bounded fuzz pass against the real server on 127.0.0.1: a few hundred requests with random
// methods, paths, content types, headers and bodies (wrong types, deep nesting, control and bidi
// characters, near the body limit), and the hostile probes that found defects before, kept as
// regressions. Nothing may answer 5xx, every error must be a JSON { error: { code, message } }, an
// aborted upload may log at most one line, and the server must still answer afterwards.
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestServer, type TestServer } from './server-harness.js';
import { ROOT, seededRandom, tempDir, until } from './helpers.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ API_KEY: 'p@ss!#word with spaces', BODY_LIMIT_BYTES: '65536' });
});
afterAll(async () => server?.close());

const KEY = { authorization: 'Bearer p@ss!#word with spaces' };

const r = seededRandom(1201);
const STRINGS = ['', ' ', 'peer support', '\u0000', '\u202egnp.exe', '<script>alert(1)</script>', '"; DROP TABLE papers; --', 'é'.repeat(300), '\n\r\t', '%s%n', '{{}}', '../../etc/passwd', 'x'.repeat(5000)];
function value(depth = 0): unknown {
  const kind = r.next();
  if (depth > 3 || kind < 0.25) return r.pick(STRINGS);
  if (kind < 0.35) return r.pick([0, -1, 1e308, Number.MAX_SAFE_INTEGER, 3.5]);
  if (kind < 0.45) return r.pick([true, false, null]);
  if (kind < 0.7) return Array.from({ length: Math.floor(r.next() * 4) }, () => value(depth + 1));
  const o: Record<string, unknown> = {};
  for (const k of ['question', 'query', 'k', 'mode', 'filters', 'paperIds', 'history', 'yearFrom', 'authors', 'messages', 'model', 'stream', 'topic', r.pick(STRINGS)]) if (r.next() < 0.4) o[k] = value(depth + 1);
  return o;
}

const PATHS = ['/api/ask', '/api/chat', '/api/search', '/api/summarize', '/api/papers', '/api/papers/%2e%2e', '/api/papers/doi:10.1/x', '/api/health', '/api/ready', '/v1/chat/completions', '/v1/models', '/mcp', '/api/nope', '/api/ask/../ask'];
const TYPES = ['application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', ''];

describe('fuzzed requests against the real server', () => {
  it('never answer 5xx, and every error is JSON with a code and a message', async () => {
    const failures: string[] = [];
    for (let i = 0; i < 300; i++) {
      const method = r.pick(['GET', 'POST', 'POST', 'POST', 'PUT', 'DELETE', 'PATCH']);
      const path = r.pick(PATHS);
      const auth = r.next() < 0.8 ? KEY.authorization : r.pick(['', 'Bearer', 'Basic Zm9vOmJhcg==', 'Bearer wrong', '\u00ff\u00fe']);
      const headers: Record<string, string> = auth ? { authorization: auth } : {};
      const type = r.pick(TYPES);
      if (type) headers['content-type'] = type;
      const raw = r.next() < 0.15 ? r.pick(['{', '[1,2', 'null', '"text"', '{"question": "\\ud800"}', '']) : JSON.stringify(value());
      const init: RequestInit = { method, headers, ...(method === 'GET' ? {} : { body: raw }) };
      const res = await fetch(`${server.url}${path}`, init).catch((e: Error) => e);
      if (res instanceof Error) {
        failures.push(`${method} ${path}: ${res.message}`);
        continue;
      }
      const text = await res.text();
      if (res.status >= 500) failures.push(`${method} ${path} ${type} → ${res.status} ${text.slice(0, 200)}`);
      if (res.status >= 400 && path.startsWith('/api/')) {
        const body = (() => {
          try {
            return JSON.parse(text);
          } catch {
            return null;
          }
        })();
        if (typeof body?.error?.code !== 'string' || typeof body?.error?.message !== 'string') failures.push(`${method} ${path} → ${res.status} without a JSON error: ${text.slice(0, 120)}`);
      }
    }
    expect(failures).toEqual([]);
    expect((await fetch(`${server.url}/api/health`, { headers: KEY })).status).toBe(200);
  }, 120_000);
});

describe('probes that found defects, kept as regressions', () => {
  it('an API_KEY with @ ! # and spaces authenticates, and a malformed Authorization is a 401 with WWW-Authenticate', async () => {
    expect((await server.post('/api/search', { query: 'peer support' }, KEY)).status).toBe(200);
    for (const authorization of ['Bearer', 'Basic Zm9vOmJhcg==', 'Bearer  p@ss', 'garbage']) {
      const res = await server.post('/api/search', { query: 'peer support' }, { authorization });
      expect(res.status, authorization).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
      expect((await res.json()).error.code).toBe('unauthorized');
    }
  });

  it('JSON routes take only JSON: text/plain and form bodies get 415', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded']) {
      const res = await fetch(`${server.url}/api/ask`, { method: 'POST', headers: { ...KEY, 'content-type': type }, body: '{"question":"peer support"}' });
      expect(res.status, type).toBe(415);
    }
  });

  it('a body over the limit is a 413 that closes the connection, and the next request still works', async () => {
    const res = await server.post('/api/ask', { question: 'x'.repeat(100_000) }, KEY);
    expect(res.status).toBe(413);
    expect(res.headers.get('connection')).toBe('close');
    expect((await server.post('/api/search', { query: 'peer support' }, KEY)).status).toBe(200);
  });

  it('uploads aborted mid-body log at most one line each, and no stack trace', async () => {
    const errors = vi.spyOn(console, 'error');
    const logs = vi.spyOn(console, 'log');
    const { port } = new URL(server.url);
    for (let i = 0; i < 5; i++) {
      await new Promise<void>((resolve) => {
        const socket = net.connect(Number(port), '127.0.0.1', () => {
          socket.write(`POST /api/ask HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${KEY.authorization}\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n{"question": "peer`);
          setTimeout(() => socket.destroy(), 100);
        });
        socket.on('close', () => resolve());
        socket.on('error', () => resolve());
      });
    }
    await new Promise((r) => setTimeout(r, 300));
    const lines = [...errors.mock.calls, ...logs.mock.calls].map((args) => args.map(String).join(' '));
    errors.mockRestore();
    logs.mockRestore();
    expect(lines.length).toBeLessThanOrEqual(5);
    expect(lines.join('\n')).not.toMatch(/\n\s+at /);
    expect((await server.post('/api/search', { query: 'peer support' }, KEY)).status).toBe(200);
  });
});

describe('slow clients', () => {
  it('a client trickling its headers, or its body, is cut off at the timeout, not held for minutes', async () => {
    const tmp = tempDir();
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/server/main.ts')], {
      cwd: ROOT,
      env: { ...process.env, EMBEDDING_MODEL: 'offline', DATA_DIR: tmp.dir, PORT: '0', HEADERS_TIMEOUT_MS: '1000', REQUEST_TIMEOUT_MS: '2000' },
    });
    let log = '';
    child.stdout!.on('data', (d: Buffer) => (log += d.toString()));
    try {
      const port = Number(await until('the port', async () => log.match(/listening on http:\/\/127\.0\.0\.1:(\d+)/)?.[1]));
      /** Seconds until the server closes a connection that sends `first`, then a byte every 200 ms. */
      const heldFor = (first: string) =>
        new Promise<number>((resolve) => {
          const started = Date.now();
          const socket = net.connect(port, '127.0.0.1', () => socket.write(first));
          const drip = setInterval(() => socket.writable && socket.write('a'), 200);
          const done = () => (clearInterval(drip), resolve((Date.now() - started) / 1000));
          socket.on('close', done);
          socket.on('error', () => {});
          socket.resume();
          setTimeout(() => socket.destroy(), 20_000);
        });
      expect(await heldFor('GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ')).toBeLessThan(4);
      expect(await heldFor('POST /api/search HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{')).toBeLessThan(5);
    } finally {
      child.kill();
      tmp.cleanup();
    }
  }, 60_000);
});
