// Progress for long work (ingest, first-run index build, model download): a live bar on a terminal,
// plain lines (every 10% or 5 s) when output goes to a file or CI log. Rates and ETAs come from a
// moving window, so a stage whose speed changes (embedding sorts texts short to long) still gives
// an ETA people can plan around.
import { writeSync } from 'node:fs';
import cliProgress from 'cli-progress';

export interface Progress {
  start(phase: string, total: number, unit: string): void;
  update(done: number): void;
  stop(): void;
  /** A line of news between stages ("resumed: …"), printed above any bar. */
  note(message: string): void;
}

export function createProgress(stream: NodeJS.WriteStream = process.stderr): Progress {
  return stream.isTTY ? new BarProgress(stream) : new LineProgress(stream);
}

/** One progress report as data: what a parent process (the server's ingest jobs) reads. */
export type ProgressEvent =
  | { type: 'stage'; stage: string; done: number; total: number; unit: string }
  | { type: 'note'; message: string };

/**
 * `inner`, and every stage also as JSON lines on file descriptor `fd` (ingest --progress-fd), at
 * most every 250 ms and always at a stage's start and end, so a reader is never far behind.
 */
export function withJsonProgress(inner: Progress, fd: number): Progress {
  let stage = { stage: '', total: 0, unit: '' };
  let done = 0;
  let sentAt = 0;
  const send = (event: ProgressEvent) => {
    sentAt = Date.now();
    try {
      writeSync(fd, `${JSON.stringify(event)}\n`);
    } catch {
      // The reader went away: progress is a courtesy, never a reason to fail an ingest.
    }
  };
  const sendStage = () => stage.stage && send({ type: 'stage', ...stage, done });
  return {
    start(phase, total, unit) {
      inner.start(phase, total, unit);
      stage = { stage: phase, total, unit };
      done = 0;
      sendStage();
    },
    update(n) {
      inner.update(n);
      done = n;
      if (Date.now() - sentAt >= 250) sendStage();
    },
    stop() {
      inner.stop();
      sendStage();
      stage = { stage: '', total: 0, unit: '' };
    },
    note(message) {
      inner.note(message);
      send({ type: 'note', message });
    },
  };
}

/** For tests and library use: reports nothing. */
export const silentProgress: Progress = { start() {}, update() {}, stop() {}, note() {} };

/** Items per second over the last WINDOW_MS, and the time left at that rate. */
export class RateWindow {
  static readonly WINDOW_MS = 20_000;
  static readonly MIN_SPAN_MS = 2_000;
  private samples: Array<[at: number, done: number]> = [];

  reset(now = Date.now()): void {
    this.samples = [[now, 0]];
  }

  add(done: number, now = Date.now()): void {
    this.samples.push([now, done]);
    // Keep one sample older than the window, so the rate always spans it.
    while (this.samples.length > 2 && now - this.samples[1][0] >= RateWindow.WINDOW_MS) this.samples.shift();
  }

  rate(): number {
    const [t0, d0] = this.samples[0] ?? [0, 0];
    const [t1, d1] = this.samples.at(-1) ?? [0, 0];
    return t1 > t0 ? ((d1 - d0) * 1000) / (t1 - t0) : 0;
  }

  /** Seconds left to reach `total`, or null before there is a rate worth one (2 s of samples: a first batch includes loading). */
  eta(total: number): number | null {
    const rate = this.rate();
    const [t0] = this.samples[0] ?? [0];
    const [t1, done] = this.samples.at(-1) ?? [0, 0];
    if (done >= total) return 0;
    return rate > 0 && t1 - t0 >= RateWindow.MIN_SPAN_MS ? Math.max(0, Math.ceil((total - done) / rate)) : null;
  }
}

export function formatSeconds(seconds: number | null): string {
  if (seconds === null) return '?';
  if (seconds < 60) return `${seconds}s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m}m${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

class BarProgress implements Progress {
  private bar?: cliProgress.SingleBar;
  private readonly window = new RateWindow();
  private total = 0;
  constructor(private readonly stream: NodeJS.WriteStream) {}
  start(phase: string, total: number, unit: string): void {
    this.stop();
    this.total = total;
    this.window.reset();
    this.bar = new cliProgress.SingleBar(
      {
        stream: this.stream,
        format: `${phase.padEnd(10)} [{bar}] {value}/{total} ${unit} | {speed}/s | ETA {left}`,
        hideCursor: true,
      },
      cliProgress.Presets.shades_classic,
    );
    this.bar.start(total, 0, { speed: '0', left: '?' });
  }
  update(done: number): void {
    this.window.add(done);
    this.bar?.update(done, { speed: this.window.rate().toFixed(1), left: formatSeconds(this.window.eta(this.total)) });
  }
  stop(): void {
    this.bar?.stop();
    this.bar = undefined;
  }
  note(message: string): void {
    this.stop();
    this.stream.write(`${message}\n`);
  }
}

class LineProgress implements Progress {
  private phase = '';
  private unit = '';
  private total = 0;
  private lastAt = 0;
  private lastPct = -1;
  private done = 0;
  private readonly window = new RateWindow();
  constructor(private readonly stream: NodeJS.WriteStream) {}
  start(phase: string, total: number, unit: string): void {
    Object.assign(this, { phase, total, unit, lastAt: Date.now(), lastPct: 0, done: 0 });
    this.window.reset();
    this.stream.write(`${phase}: 0/${total} ${unit}\n`);
  }
  update(done: number): void {
    this.done = done;
    this.window.add(done);
    const pct = this.total ? Math.floor((done / this.total) * 10) * 10 : 100;
    const now = Date.now();
    if (pct > this.lastPct || now - this.lastAt > 5000) {
      this.lastPct = pct;
      this.lastAt = now;
      if (done < this.total) this.stream.write(this.line(done));
    }
  }
  stop(): void {
    if (this.phase && this.total) this.stream.write(this.line(this.done));
    this.phase = '';
  }
  note(message: string): void {
    this.stream.write(`${message}\n`);
  }
  private line(done: number): string {
    const pct = this.total ? ((done / this.total) * 100).toFixed(0) : '100';
    return `${this.phase}: ${done}/${this.total} ${this.unit} (${pct}%), ${this.window.rate().toFixed(1)}/s, ETA ${formatSeconds(this.window.eta(this.total))}\n`;
  }
}
