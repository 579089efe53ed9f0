// Vectors a build has computed but not yet written as an index, kept under
// DATA_DIR/checkpoints so that an ingest killed at 90% resumes there instead of embedding
// everything again. One append-only file per embedding signature (model, dtype, dims, pooling,
// prefixes): a record is a chunk text's hash and its vector, so a rerun over other files, another
// chunking or the same files finds whatever it can re-use. A kill leaves at most one partial record
// at the end, which reading ignores. The checkpoint is a cache: it is never fsynced (a SIGKILL
// keeps the page cache, a power cut costs re-embedding), never read by a server, and deleted once
// a build with its model is written.
import { createHash } from 'node:crypto';
import { closeSync, existsSync, fstatSync, ftruncateSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { dtypeOf, type EmbeddingSignature } from './manifest.js';

const HASH_BYTES = 16;
/** Records are written once this many are waiting, or at the latest every FLUSH_MS. */
const FLUSH_RECORDS = 256;
const FLUSH_MS = 1_000;

export const checkpointDir = (dataDir: string) => path.join(dataDir, 'checkpoints');

function textHash(text: string): Buffer {
  return createHash('sha256').update(text).digest().subarray(0, HASH_BYTES);
}

export class VectorCheckpoint {
  private pending: Buffer[] = [];
  private lastFlush = Date.now();
  private fd: number | null = null;
  /** Set when writing failed: the build goes on without a checkpoint (it is a cache). */
  private broken = false;
  // A Ctrl-C exits the ingest at once: what is queued still reaches the file.
  private readonly flushOnExit = () => this.flush();

  private constructor(
    readonly file: string,
    private readonly dims: number,
  ) {}

  /** The checkpoint for vectors made under `signature` in `dataDir` (created on first write). */
  static async open(dataDir: string, signature: EmbeddingSignature): Promise<VectorCheckpoint> {
    const key = createHash('sha1').update(JSON.stringify({ ...signature, dtype: dtypeOf(signature) })).digest('hex').slice(0, 16);
    const dir = checkpointDir(dataDir);
    await mkdir(dir, { recursive: true });
    const file = path.join(dir, `${key}.vectors`);
    // For a person looking in the folder: what the hashes' vectors were made with.
    if (!existsSync(`${file}.json`)) await writeFile(`${file}.json`, JSON.stringify(signature, null, 2));
    return new VectorCheckpoint(file, signature.dims);
  }

  private get recordBytes(): number {
    return HASH_BYTES + this.dims * 4;
  }

  /**
   * Streams the file and hands each of `texts` that has a stored vector to `found` (index into
   * texts, vector); every text with that content gets it. Returns how many texts were found.
   */
  restore(texts: readonly string[], found: (index: number, vector: Float32Array) => void): number {
    if (!existsSync(this.file) || texts.length === 0) return 0;
    const wanted = new Map<string, number[]>();
    texts.forEach((t, i) => {
      const key = textHash(t).toString('base64');
      const list = wanted.get(key);
      if (list) list.push(i);
      else wanted.set(key, [i]);
    });
    const size = this.recordBytes;
    const buffer = Buffer.alloc(size * 4096);
    const fd = openSync(this.file, 'r');
    let restored = 0;
    try {
      let carry = 0;
      for (;;) {
        const read = readSync(fd, buffer, carry, buffer.length - carry, null);
        const filled = carry + read;
        const whole = filled - (filled % size);
        for (let off = 0; off < whole; off += size) {
          const key = buffer.toString('base64', off, off + HASH_BYTES);
          const rows = wanted.get(key);
          if (!rows) continue;
          wanted.delete(key); // a text checkpointed twice (two runs) is taken once
          const bytes = buffer.subarray(off + HASH_BYTES, off + size);
          const vector = new Float32Array(this.dims);
          new Uint8Array(vector.buffer).set(bytes);
          // A vector the model wrote is finite and of unit length; anything else is damage, re-embedded.
          if (!isUnitVector(vector)) continue;
          for (const i of rows) found(i, vector);
          restored += rows.length;
        }
        if (read === 0) break; // what is left over (filled - whole) is a record a kill cut short
        buffer.copy(buffer, 0, whole, filled);
        carry = filled - whole;
      }
    } finally {
      closeSync(fd);
    }
    return restored;
  }

  /** Queues vectors for texts just embedded; they reach the file in batches (flush). */
  add(texts: readonly string[], vectors: readonly Float32Array[]): void {
    if (this.broken) return;
    if (this.pending.length === 0 && this.fd === null) process.once('exit', this.flushOnExit);
    texts.forEach((text, i) => {
      const record = Buffer.allocUnsafe(this.recordBytes);
      textHash(text).copy(record, 0);
      Buffer.from(vectors[i].buffer, vectors[i].byteOffset, this.dims * 4).copy(record, HASH_BYTES);
      this.pending.push(record);
    });
    if (this.pending.length >= FLUSH_RECORDS || Date.now() - this.lastFlush >= FLUSH_MS) this.flush();
  }

  /** Appends what is queued in one write. A failure (a full disk) is said once; the build goes on without it. */
  flush(): void {
    this.lastFlush = Date.now();
    if (this.pending.length === 0 || this.broken) return;
    const data = Buffer.concat(this.pending);
    this.pending = [];
    try {
      if (this.fd === null) {
        this.fd = openSync(this.file, 'a');
        // A write cut short by a kill leaves part of a record at the end; records after it would be
        // misaligned, so it goes before anything is appended.
        const size = fstatSync(this.fd).size;
        if (size % this.recordBytes) ftruncateSync(this.fd, size - (size % this.recordBytes));
      }
      let written = 0;
      while (written < data.length) written += writeSync(this.fd, data, written);
    } catch (error) {
      this.broken = true;
      console.warn(`warning: the resume checkpoint ${this.file} could not be written (${(error as Error).message}); this build goes on, but a rerun after a crash would embed everything again.`);
    }
  }

  close(): void {
    this.flush();
    process.off('exit', this.flushOnExit);
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  /** Deletes this signature's checkpoint: called once a build with it is written. Another model's stays for its own rerun. */
  remove(): void {
    this.close();
    rmSync(this.file, { force: true });
    rmSync(`${this.file}.json`, { force: true });
  }

}

function isUnitVector(v: Float32Array): boolean {
  let norm = 0;
  for (const x of v) {
    if (!Number.isFinite(x)) return false;
    norm += x * x;
  }
  return Math.abs(norm - 1) < 1e-3;
}
