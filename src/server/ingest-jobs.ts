// Files added from the page: each upload is one ingest job, the ingest command run on the saved
// files (run-ingest.ts), so an upload is read, checked, embedded and written exactly as
// `npm run ingest` would, and the server serves the result through its live swap. One job at a
// time; a job's progress comes from the command's --progress-fd, its result from its --json.
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config.js';
import { ConflictError, NotFoundError } from '../errors.js';
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

/** A file name safe to write: the base name, in a conservative alphabet, never empty or hidden. */
export function safeFileName(name: string): string {
  const base = path.basename(name.replace(/\\/g, '/')).normalize('NFKC');
  return base.replace(/[^\p{L}\p{N}._ -]+/gu, '_').replace(/^[.\s]+/, '').slice(-120) || 'upload';
}

export class IngestJobs {
  private readonly jobs = new Map<string, IngestJob>();
  private running?: IngestJob;

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
    const id = randomBytes(6).toString('hex');
    const dir = path.join(this.config.dataDir, 'uploads', id);
    mkdirSync(dir, { recursive: true });
    // Each file in a folder of its own, under its own name: papers record the file they came from,
    // and two uploads may share a name.
    const saved = files.map((f, i) => {
      mkdirSync(path.join(dir, String(i)));
      const file = path.join(dir, String(i), safeFileName(f.name));
      writeFileSync(file, f.data);
      return file;
    });
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
    try {
      const run = await runIngest(this.config, ['--json', '--no-papers', ...files], {
        output: 'capture',
        onProgress: (event) => {
          if (event.type === 'stage') job.progress = { stage: event.stage, done: event.done, total: event.total, unit: event.unit };
          else job.notes.push(event.message);
        },
      });
      // The summary names the saved files; the user knows them by the names they gave.
      const summary = lastJsonLine(files.reduce((text, file) => text.split(JSON.stringify(file).slice(1, -1)).join(JSON.stringify(path.basename(file)).slice(1, -1)), run.stdout));
      // Where the index lives on the server is not the uploader's business.
      if (summary?.index && typeof summary.index === 'object') delete (summary.index as { location?: string }).location;
      if (summary) job.result = summary;
      // Exit 1 with a summary: some records or files could not be read (each named in
      // result.files), the rest are in the index. Anything else left the index as it was.
      if ((run.code === 0 || run.code === 1) && summary?.built !== undefined) {
        // Succeeded once the server answers from the new build, so the page's next question sees it.
        await this.onBuilt().catch(() => {});
        job.status = 'succeeded';
      } else {
        job.status = 'failed';
        const said = run.stderr.trim().split('\n').filter((l) => l.trim()).slice(-3).join(' ');
        job.error = `The ingest failed (exit ${run.code}) and the index was left as it was${said ? `: ${said}` : ''}. Check the files, then add them again.`;
      }
    } catch (error) {
      job.status = 'failed';
      job.error = `The ingest could not be started: ${(error as Error).message}.`;
    } finally {
      job.finishedAt = new Date().toISOString();
      this.running = undefined;
      // The papers now live in the index (or the job failed and the files are not needed to keep
      // anything: the index is unchanged, and the user still has the originals).
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

function lastJsonLine(text: string): Record<string, unknown> | undefined {
  const line = text.trim().split('\n').at(-1);
  if (!line) return undefined;
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
