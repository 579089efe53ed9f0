// `npm start`: serve the API and the chat page. The server listens at once (answering 503 while
// the index is built on first run) and logs the URL; then it opens the index — building it with
// the ingest command first when there is none, or when it was built with another model, chunking
// or layout — and from then on switches to every new build an ingest writes.
import { serve } from '@hono/node-server';
import { loadConfigOrExit } from '../config.js';
import { createApp } from './app.js';
import { LiveIndex } from './live-index.js';
import { startServing, stopOnSignals } from './start-serving.js';

if (process.argv.includes('--help') || process.argv.includes('-h')) {
  console.log(`Usage: npm start

Serves the chat page and the HTTP API on HOST:PORT (default 127.0.0.1:3000).
On first run it builds the index from the bundled corpus (CORPUS_PATH). While it runs, every
ingest into the same DATA_DIR is picked up within INDEX_POLL_MS, without a restart.
Configuration is read from the environment; see README.md ("Configuration") for every variable.`);
  process.exit(0);
}

const config = loadConfigOrExit();
const live = new LiveIndex(config);
const app = createApp({ config, serving: live });

// A client has 15 s to send its headers and 60 s for the whole request (HEADERS_TIMEOUT_MS,
// REQUEST_TIMEOUT_MS), checked every second, so connections trickling a byte a second are not held
// for Node's default five minutes.
const serverOptions = { headersTimeout: config.timeouts.headersMs, requestTimeout: config.timeouts.requestMs, connectionsCheckingInterval: 1000 };
const server = serve({ fetch: app.fetch, hostname: config.host, port: config.port, serverOptions }, (info) => {
  const host = info.address.includes(':') ? `[${info.address}]` : info.address;
  console.log(`Abstracts chat listening on http://${host}:${info.port}/`);
});

void startServing(config, live, { log: console.log });

stopOnSignals(live, () => server.close());
