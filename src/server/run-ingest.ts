// The server's builds (its first build, a rebuild after a change of model or layout, and the files
// added from the page) are the ingest command itself, run as a child process: the same code path,
// progress and messages a user gets from `npm run ingest`, no import from ingest/ into src/, and the
// running server picks the result up exactly as it picks up any other ingest (live-index.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { PROJECT_ROOT, type Config } from '../config.js';
import type { ProgressEvent } from '../progress.js';

// Beside this file's own kind: the TypeScript source under tsx, the compiled .js under dist/.
export const INGEST_CLI = path.join(PROJECT_ROOT, 'ingest', import.meta.url.endsWith('.ts') ? 'cli.ts' : 'cli.js');

const running = new Set<ChildProcess>();

export interface RunIngestOptions {
  /**
   * Where the command's output goes: the terminal; stderr (when stdout is a protocol, MCP stdio);
   * or captured (an upload job reads its --json summary from stdout and its messages from stderr).
   */
  output?: 'inherit' | 'stderr' | 'capture';
  /** Each progress report, read from the command's --progress-fd 3 as it runs. */
  onProgress?: (event: ProgressEvent) => void;
}

export interface IngestRun {
  code: number;
  /** With output 'capture': what the command printed. */
  stdout: string;
  stderr: string;
}

/**
 * Runs `ingest/cli.ts <args>` on this data directory with the same Node flags (tsx's loader) and
 * environment as this process.
 * @example await runIngest(config, ['--quiet', config.corpusPath])
 */
export function runIngest(config: Config, args: string[], { output = 'inherit', onProgress }: RunIngestOptions = {}): Promise<IngestRun> {
  return new Promise((resolve, reject) => {
    const out = output === 'capture' ? 'pipe' : output === 'inherit' ? 'inherit' : process.stderr;
    const err = output === 'capture' ? 'pipe' : 'inherit';
    // TypeScript needs tsx's loader: this process has it under npm start, not always under a test runner.
    const loader = INGEST_CLI.endsWith('.ts') && !process.execArgv.some((a) => a.includes('tsx')) ? ['--import', 'tsx'] : [];
    const child = spawn(process.execPath, [...process.execArgv, ...loader, INGEST_CLI, '--data-dir', config.dataDir, ...(onProgress ? ['--progress-fd', '3'] : []), ...args], {
      cwd: PROJECT_ROOT,
      env: process.env,
      stdio: ['ignore', out, err, onProgress ? 'pipe' : 'ignore'],
    });
    running.add(child);
    const captured = { stdout: '', stderr: '' };
    child.stdout?.setEncoding('utf8').on('data', (text: string) => (captured.stdout += text));
    // Messages are kept to the last 64 kB: enough for every error line of a bad upload.
    child.stderr?.setEncoding('utf8').on('data', (text: string) => (captured.stderr = (captured.stderr + text).slice(-65_536)));
    const progress = child.stdio[3] as Readable | null;
    if (progress && onProgress) {
      createInterface({ input: progress }).on('line', (line) => {
        try {
          onProgress(JSON.parse(line) as ProgressEvent);
        } catch {
          // Not a progress line: nothing else writes to fd 3, so this is a torn write at exit.
        }
      });
    }
    child.on('error', (error) => {
      running.delete(child);
      reject(error);
    });
    child.on('close', (code, signal) => {
      running.delete(child);
      resolve({ code: code ?? (signal ? 128 : 1), ...captured });
    });
  });
}

/** Stops the builds the server started, when the server itself is stopped. */
export function stopIngest(): void {
  for (const child of running) child.kill('SIGTERM');
}
