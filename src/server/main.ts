// `npm start`: serve the API and the chat page. The server listens at once (answering 503 while the
// index builds on first run) and logs the URL.
import { serve } from '@hono/node-server';
import { loadConfig } from '../config.js';
import { createApp, type ServerState } from './app.js';
import { bootstrap } from './bootstrap.js';

if (process.argv.includes('--help') || process.argv.includes('-h')) {
  console.log(`Usage: npm start

Serves the chat page and the HTTP API on HOST:PORT (default 127.0.0.1:3000).
On first run it builds the index from the bundled corpus. Configuration is read from the
environment; see README.md ("Configuration") for every variable.`);
  process.exit(0);
}

const config = loadConfig();
const state: ServerState = { status: 'starting' };
const app = createApp({ config, state });

const server = serve({ fetch: app.fetch, hostname: config.host, port: config.port }, (info) => {
  const host = info.address.includes(':') ? `[${info.address}]` : info.address;
  console.log(`Abstracts chat listening on http://${host}:${info.port}/`);
});

bootstrap(config, state).catch(() => {
  // The reason is logged; the server stays up to report it on /api/health and with 503s.
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    server.close();
    process.exit(0);
  });
}
