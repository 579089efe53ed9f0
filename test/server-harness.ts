// Starts the real app on a real port over a real index of the bundled corpus (offline model).
import { serve, type ServerType } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { createApp } from '../src/server/app.js';
import { LiveIndex, type ServingParts } from '../src/server/live-index.js';
import { loadEmbeddingModel } from '../src/embeddings/load-embedding-model.js';
import { openStore } from '../src/store/index-store.js';
import { ingestFiles } from '../ingest/ingest-files.js';
import type { Config } from '../src/config.js';
import { SEED, tempDir, testConfig } from './helpers.js';
import { parseSse } from '../web/api.js';

export interface TestServer {
  url: string;
  config: Config;
  live: LiveIndex;
  /** The parts the server answers with now. */
  parts: () => ServingParts;
  close: () => Promise<void>;
  post: (path: string, body: unknown, headers?: Record<string, string>) => Promise<Response>;
}

export async function startTestServer(env: Record<string, string> = {}, dataDir?: string): Promise<TestServer> {
  const tmp = dataDir ? null : tempDir();
  const config = testConfig(dataDir ?? tmp!.dir, env);
  const loaded = await loadEmbeddingModel(config);
  // What npm start does on first run (there by running the ingest command): the bundled corpus.
  const store = await openStore(config);
  const built = await store.readManifest().finally(() => store.close());
  if (!built) await ingestFiles({ config, files: [SEED], loaded });
  const live = new LiveIndex(config, () => {});
  live.setModel(loaded);
  const opened = await live.check();
  if (!opened.ready) throw new Error(`test index not usable: ${opened.reason}`);
  live.watch();
  const app = createApp({ config, serving: live });
  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    config,
    live,
    parts: () => live.parts(),
    post: (path, body, headers = {}) =>
      fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) }),
    close: async () => {
      live.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      tmp?.cleanup();
    },
  };
}

/** Reads a Server-Sent Events response into [event, data] pairs, with the page's own parser. */
export async function readSse(response: Response): Promise<Array<{ event: string; data: any }>> {
  const { events, rest } = parseSse(await response.text());
  if (rest.trim()) throw new Error(`the stream ended inside an event: ${rest.slice(0, 200)}`);
  return events;
}
