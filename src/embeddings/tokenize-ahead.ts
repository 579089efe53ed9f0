// Tokenising the next batch while the model runs the current one. ONNX Runtime's Node binding runs
// a session synchronously on the calling thread, so nothing else on that thread can overlap it: the
// next batch is encoded on a worker thread instead (tokenize-worker.mjs), with its own copy of the
// tokenizer. Where a worker cannot start, embedding tokenises inline, exactly as before.
import { Worker } from 'node:worker_threads';

const WORKER_URL = new URL('./tokenize-worker.mjs', import.meta.url);

export interface TokenizeWorkerData {
  modelId: string;
  localModelPath: string;
  cacheDir: string;
}

export interface EncodedBatch {
  id: number;
  /** input_ids, attention_mask and (for BERT) token_type_ids, each [batch, sequence] int64. */
  tensors: Record<string, { data: BigInt64Array; dims: number[] }>;
}

export class TokenizeAhead {
  private nextId = 0;
  /** Why the worker stopped, once it has: every later batch is refused at once. */
  dead: Error | null = null;
  private readonly pending = new Map<number, { resolve: (b: EncodedBatch['tensors']) => void; reject: (e: Error) => void }>();

  private constructor(private readonly worker: Worker) {
    worker.on('message', (m: EncodedBatch) => {
      this.pending.get(m.id)?.resolve(m.tensors);
      this.pending.delete(m.id);
      if (this.pending.size === 0) worker.unref();
    });
    const fail = (error: Error) => {
      this.dead = error;
      for (const p of this.pending.values()) p.reject(error);
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the tokenizer worker exited (${code})`)));
  }

  /** A worker with the model's tokenizer loaded, or null when one cannot start. */
  static start(data: TokenizeWorkerData): Promise<TokenizeAhead | null> {
    return new Promise((resolve) => {
      let worker: Worker;
      try {
        worker = new Worker(WORKER_URL, { workerData: data });
      } catch {
        resolve(null);
        return;
      }
      const giveUp = () => {
        void worker.terminate();
        resolve(null);
      };
      worker.once('error', giveUp);
      worker.once('exit', giveUp);
      worker.once('message', (m) => {
        if (m !== 'ready') return giveUp();
        worker.off('error', giveUp);
        worker.off('exit', giveUp);
        worker.unref(); // idle until asked for a batch
        resolve(new TokenizeAhead(worker));
      });
    });
  }

  /** Encodes `texts` on the worker; resolves with int64 tensors shaped [batch, sequence]. */
  encode(texts: string[]): Promise<EncodedBatch['tensors']> {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    // Held while a batch is out, so a process awaiting it stays alive; idle, it lets the process exit.
    this.worker.ref();
    const encoded = new Promise<EncodedBatch['tensors']>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, texts });
    });
    encoded.catch(() => {}); // a batch fetched ahead and never awaited (the model failed first) must not crash the process
    return encoded;
  }

  close(): Promise<number> {
    return this.worker.terminate();
  }
}
