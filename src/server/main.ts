// `npm start`: serve the API and the chat page. The server listens at once (answering 503 while
// the index is built on first run) and logs the URL; then it opens the index — building it with
// the ingest command first when there is none, or when it was built with another model, chunking
// or layout — and from then on switches to every new build an ingest writes.
import { existsSync } from 'node:fs';
import { serve } from '@hono/node-server';
import { loadConfig, type Config } from '../config.js';
import { loadEmbeddingModel } from '../embeddings/load-embedding-model.js';
import { createApp } from './app.js';
import { LiveIndex } from './live-index.js';
import { runIngest, stopIngest } from './run-ingest.js';

if (process.argv.includes('--help') || process.argv.includes('-h')) {
  console.log(`Usage: npm start

Serves the chat page and the HTTP API on HOST:PORT (default 127.0.0.1:3000).
On first run it builds the index from the bundled corpus (CORPUS_PATH). While it runs, every
ingest into the same DATA_DIR is picked up within INDEX_POLL_MS, without a restart.
Configuration is read from the environment; see README.md ("Configuration") for every variable.`);
  process.exit(0);
}

const config = loadConfig();
const live = new LiveIndex(config);
const app = createApp({ config, serving: live });

const server = serve({ fetch: app.fetch, hostname: config.host, port: config.port }, (info) => {
  const host = info.address.includes(':') ? `[${info.address}]` : info.address;
  console.log(`Abstracts chat listening on http://${host}:${info.port}/`);
});

async function open(config: Config): Promise<void> {
  live.setModel(loadEmbeddingModel(config));
  live.report('starting', 'loading the embedding model and opening the index');
  const outcome = await live.check();
  if (!outcome.ready) {
    if (outcome.build === 'new' && !existsSync(config.corpusPath)) {
      throw new Error(`No index in ${config.dataDir} and the corpus ${config.corpusPath} does not exist. Run npm run ingest -- <files>.`);
    }
    const args = outcome.build === 'new' ? ['--quiet', config.corpusPath] : ['--quiet', '--rebuild'];
    const why = outcome.build === 'new' ? `no index yet: building one from ${config.corpusPath}` : `${outcome.reason}: rebuilding it`;
    console.log(`${why[0].toUpperCase()}${why.slice(1)}…`);
    live.report('building', why);
    const code = await runIngest(config, args);
    // 1 means some records were skipped (and reported); the index was still written.
    if (code > 1) throw new Error(`the ingest command failed (exit ${code}); its messages are above`);
    const after = await live.check();
    if (!after.ready) throw new Error(`the index could not be opened after building it: ${after.reason}`);
  }
  live.watch();
}

open(config).catch((error) => {
  // The server stays up to report the reason on /api/health and with 503s.
  live.report('error', (error as Error).message);
  console.error(`Could not open the index: ${(error as Error).message}`);
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    stopIngest();
    live.close();
    server.close();
    process.exit(0);
  });
}
