// The server's first build (and its rebuild after a change of model or layout) is the ingest
// command itself, run as a child process: the same code path, progress and messages a user gets
// from `npm run ingest`, no import from ingest/ into src/, and the running server picks the result
// up exactly as it picks up any other ingest (live-index.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { PROJECT_ROOT, type Config } from '../config.js';

// Beside this file's own kind: the TypeScript source under tsx, the compiled .js under dist/.
export const INGEST_CLI = path.join(PROJECT_ROOT, 'ingest', import.meta.url.endsWith('.ts') ? 'cli.ts' : 'cli.js');

let running: ChildProcess | undefined;

/**
 * Runs `ingest/cli.ts <args>` on this data directory with the same Node flags (tsx's loader) and
 * environment as this process; resolves with its exit code.
 * @example await runIngest(config, ['--quiet', config.corpusPath])
 */
export function runIngest(config: Config, args: string[], output: 'inherit' | 'stderr' = 'inherit'): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, INGEST_CLI, '--data-dir', config.dataDir, ...args], {
      cwd: PROJECT_ROOT,
      env: process.env,
      stdio: ['ignore', output === 'inherit' ? 'inherit' : process.stderr, 'inherit'],
    });
    running = child;
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      running = undefined;
      resolve(code ?? (signal ? 128 : 1));
    });
  });
}

/** Stops a build the server started, when the server itself is stopped. */
export function stopIngest(): void {
  running?.kill('SIGTERM');
}
