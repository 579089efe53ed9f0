// Progress for long work (ingest, first-run index build, model download): a live bar on a terminal,
// plain lines (every 10% or 5 s) when output goes to a file or CI log.
import cliProgress from 'cli-progress';

export interface Progress {
  start(phase: string, total: number, unit: string): void;
  update(done: number): void;
  stop(): void;
}

export function createProgress(stream: NodeJS.WriteStream = process.stderr): Progress {
  return stream.isTTY ? new BarProgress(stream) : new LineProgress(stream);
}

/** For tests and library use: reports nothing. */
export const silentProgress: Progress = { start() {}, update() {}, stop() {} };

class BarProgress implements Progress {
  private bar?: cliProgress.SingleBar;
  constructor(private readonly stream: NodeJS.WriteStream) {}
  start(phase: string, total: number, unit: string): void {
    this.stop();
    this.bar = new cliProgress.SingleBar(
      {
        stream: this.stream,
        format: `${phase.padEnd(10)} [{bar}] {value}/{total} ${unit} | {speed}/s | ETA {eta_formatted}`,
        hideCursor: true,
        etaBuffer: 50,
      },
      cliProgress.Presets.shades_classic,
    );
    this.started = Date.now();
    this.bar.start(total, 0, { speed: '0' });
  }
  private started = 0;
  update(done: number): void {
    const secs = (Date.now() - this.started) / 1000;
    this.bar?.update(done, { speed: secs > 0 ? (done / secs).toFixed(1) : '0' });
  }
  stop(): void {
    this.bar?.stop();
    this.bar = undefined;
  }
}

class LineProgress implements Progress {
  private phase = '';
  private unit = '';
  private total = 0;
  private started = 0;
  private lastAt = 0;
  private lastPct = -1;
  private done = 0;
  constructor(private readonly stream: NodeJS.WriteStream) {}
  start(phase: string, total: number, unit: string): void {
    Object.assign(this, { phase, total, unit, started: Date.now(), lastAt: Date.now(), lastPct: -1, done: 0 });
    this.stream.write(`${phase}: 0/${total} ${unit}\n`);
  }
  update(done: number): void {
    this.done = done;
    const pct = this.total ? Math.floor((done / this.total) * 10) * 10 : 100;
    const now = Date.now();
    if (pct > this.lastPct || now - this.lastAt > 5000) {
      this.lastPct = pct;
      this.lastAt = now;
      if (done < this.total) this.stream.write(this.line(done, now));
    }
  }
  stop(): void {
    if (this.phase && this.total) this.stream.write(this.line(this.done, Date.now()));
    this.phase = '';
  }
  private line(done: number, now: number): string {
    const secs = (now - this.started) / 1000;
    const rate = secs > 0 ? done / secs : 0;
    const eta = rate > 0 ? Math.ceil((this.total - done) / rate) : 0;
    const pct = this.total ? ((done / this.total) * 100).toFixed(0) : '100';
    return `${this.phase}: ${done}/${this.total} ${this.unit} (${pct}%), ${rate.toFixed(1)}/s, ETA ${eta}s\n`;
  }
}
