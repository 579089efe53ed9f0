// From nothing to serving, for every entry point that answers (npm start, npm run mcp): load the
// model while the index opens; when there is no index, or it was built with another model,
// chunking or layout, build it with the ingest command first; then follow every new build.
import { existsSync } from 'node:fs';
import type { Config } from '../config.js';
import { loadEmbeddingModel } from '../embeddings/load-embedding-model.js';
import type { LiveIndex } from './live-index.js';
import { runIngest, stopIngest } from './run-ingest.js';

export interface StartOptions {
  log: (line: string) => void;
  /** Where the ingest command's own output goes: the terminal, or stderr when stdout is a protocol (MCP stdio). */
  ingestOutput?: 'inherit' | 'stderr';
}

export async function startServing(config: Config, live: LiveIndex, { log, ingestOutput = 'inherit' }: StartOptions): Promise<void> {
  try {
    live.setModel(loadEmbeddingModel(config));
    live.report('starting', 'loading the embedding model and opening the index');
    const outcome = await live.check();
    if (!outcome.ready) {
      // A shared library is rebuilt only on purpose: one server started with other settings (model,
      // chunking) must not rebuild it under every other server.
      if (outcome.build === 'rebuild' && config.database) {
        throw new Error(`${outcome.reason}. This server's settings differ from the shared library's, so it will not rebuild it: start it with the library's settings, or rebuild the library on purpose with npm run ingest -- --rebuild`);
      }
      if (outcome.build === 'new' && !existsSync(config.corpusPath)) {
        throw new Error(`No index in ${config.dataDir} and the corpus ${config.corpusPath} does not exist. Run npm run ingest -- <files>.`);
      }
      const args = outcome.build === 'new' ? ['--no-papers', '--if-empty', config.corpusPath] : ['--no-papers', '--rebuild'];
      const why = outcome.build === 'new' ? `no index yet: building one from ${config.corpusPath}` : `${outcome.reason}: rebuilding it`;
      log(`${why[0].toUpperCase()}${why.slice(1)}…`);
      live.report('building', why);
      const { code } = await runIngest(config, args, { output: ingestOutput, onProgress: (event) => live.reportProgress(event) });
      // 1 means some records were skipped (and reported); the index was still written.
      if (code !== 0 && code !== 1) throw new Error(`the ingest command failed (exit ${code}); its messages are above`);
      const after = await live.check();
      if (!after.ready) throw new Error(`the index could not be opened after building it: ${after.reason}`);
    }
  } catch (error) {
    // The server stays up to report the reason on /api/health and with 503s, and a later good
    // ingest (the watcher below) still brings it to ready without a restart.
    live.report('error', (error as Error).message);
    log(`Could not open the index: ${(error as Error).message}`);
  }
  live.watch();
}

/** On Ctrl-C or SIGTERM: stop a first-run ingest this process started, stop watching, then `close`. */
export function stopOnSignals(live: LiveIndex, close: () => void = () => {}): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      stopIngest();
      live.close();
      close();
      process.exit(0);
    });
  }
}
