// Files added from the page: each upload is one ingest job, the ingest command run on the saved
// files (run-ingest.ts), so an upload is read, checked, embedded and written exactly as
// `npm run ingest` would, and the server serves the result through its live swap. One job at a
// time; a job's progress comes from the command's --progress-fd, its result from its --json.
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config.js';
import { ConflictError, NotFoundError, StorageError } from '../errors.js';
import type { BuildProgress } from './live-index.js';
import { runIngest } from './run-ingest.js';

export interface UploadedFile {
  name: string;
  data: Uint8Array;
}

export interface IngestJob {
  id: string;
  status: 'running' | 'succeeded' | 'failed';
  files: Array<{ name: string; bytes: number }>;
  startedAt: string;
  finishedAt?: string;
  /** The stage in hand: parsing (records), embedding (chunks), indexing, writing. */
  progress: BuildProgress | null;
  /** Notes on the way ("resumed: …"). */
  notes: string[];
  /** The ingest command's --json summary: counts (new, updated, skipped), files and their errors with lines, timings. */
  result?: Record<string, unknown>;
  /** Why a job failed, in a sentence with a next step. */
  error?: string;
}

/** A file name safe to write: the base name, in a conservative alphabet, never empty or hidden, at most 200 bytes. */
export function safeFileName(name: string): string {
  const base = path.basename(name.replace(/\\/g, '/')).normalize('NFKC');
  let safe = base.replace(/[^\p{L}\p{N}._ -]+/gu, '_').replace(/^[.\s]+/, '');
  // File systems count bytes (255 on most), and "한" is three: keep the end, where the extension is.
  while (Buffer.byteLength(safe) > 200) safe = [...safe].slice(1).join('');
  return safe || 'upload';
}

export class IngestJobs {
  private readonly jobs = new Map<string, IngestJob>();
  private running?: IngestJob;
  private swept = false;

  constructor(
    private readonly config: Config,
    /** Called when a job has written a build, so the server swaps it in at once. */
    private readonly onBuilt: () => Promise<unknown> = async () => {},
  ) {}

  get(id: string): IngestJob {
    const job = this.jobs.get(id);
    if (!job) throw new NotFoundError(`No ingest job with id "${id}" (jobs are kept until the server restarts).`);
    return job;
  }

  /** Saves the files and starts the ingest; a second job while one runs is a 409 naming it. */
  start(files: UploadedFile[]): IngestJob {
    if (this.running) throw new ConflictError(`An ingest is already running (job ${this.running.id}); wait for it to finish.`, { jobId: this.running.id });
    const uploads = path.join(this.config.dataDir, 'uploads');
    // Jobs live in this process: folders from before it started are a stopped server's leftovers.
    if (!this.swept) rmSync(uploads, { recursive: true, force: true });
    this.swept = true;
    const id = randomBytes(6).toString('hex');
    const dir = path.join(uploads, id);
    let saved: string[];
    try {
      // Each file in a folder of its own, under its own name: papers record the file they came
      // from, and two uploads may share a name.
      saved = files.map((f, i) => {
        mkdirSync(path.join(dir, String(i)), { recursive: true, mode: 0o700 });
        const file = path.join(dir, String(i), safeFileName(f.name));
        writeFileSync(file, f.data, { mode: 0o600 });
        return file;
      });
    } catch (error) {
      rmSync(dir, { recursive: true, force: true });
      throw new StorageError(`The upload could not be saved in ${path.basename(this.config.dataDir)}/uploads (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}). Check that the server can write to its DATA_DIR.`);
    }
    const job: IngestJob = {
      id,
      status: 'running',
      files: files.map((f) => ({ name: f.name, bytes: f.data.byteLength })),
      startedAt: new Date().toISOString(),
      progress: null,
      notes: [],
    };
    this.jobs.set(id, job);
    this.running = job;
    void this.run(job, dir, saved);
    return job;
  }

  private async run(job: IngestJob, dir: string, files: string[]): Promise<void> {
    let status: IngestJob['status'] = 'failed';
    try {
      const run = await runIngest(this.config, ['--json', '--no-papers', ...files], {
        output: 'capture',
        onProgress: (event) => {
          if (event.type === 'stage') job.progress = { stage: event.stage, done: event.done, total: event.total, unit: event.unit };
          else job.notes.push(event.message);
        },
      });
      // The command names the saved files; the user knows them by their own names, and where the
      // server keeps things is not the uploader's business.
      const named = (text: string) => files.reduce((t, file) => t.split(jsonString(file)).join(jsonString(path.basename(file))).split(file).join(path.basename(file)), text);
      const summary = lastJsonLine(named(run.stdout));
      if (summary?.index && typeof summary.index === 'object') delete (summary.index as { location?: string }).location;
      if (summary) job.result = summary;
      // Exit 0, or 1 when some records or files could not be read (each named in result.files):
      // a build was written. Anything else left the index as it was.
      if (run.code === 0 || run.code === 1) {
        // Succeeded once the server answers from the new build, so the page's next question sees it.
        await this.onBuilt().catch(() => {});
        status = 'succeeded';
      } else {
        const said = named(run.stderr)
          .split('\n')
          .map((l) => l.trim())
          .filter((l) => /^(error|warning|ingest failed)/i.test(l))
          .slice(-3)
          .join(' ');
        job.error = `The ingest failed (exit ${run.code}) and the index was left as it was${said ? `: ${said.replace(/[.\s]+$/, '')}` : ''}. Check the files, then add them again.`;
      }
    } catch (error) {
      job.error = `The ingest could not be started: ${(error as Error).message}.`;
    } finally {
      // The papers now live in the index (or the job failed, the index is unchanged, and the user
      // still has the originals): the saved copies are not needed either way.
      rmSync(dir, { recursive: true, force: true });
      job.finishedAt = new Date().toISOString();
      this.running = undefined;
      job.status = status;
    }
  }
}

const jsonString = (text: string) => JSON.stringify(text).slice(1, -1);

function lastJsonLine(text: string): Record<string, unknown> | undefined {
  const line = text.trim().split('\n').at(-1);
  if (!line) return undefined;
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
