// LangChain's Embeddings interface over a transformers.js feature-extraction pipeline, so the HNSWLib
// store (and anything else in LangChain) can use it. The pipeline loads lazily, once, into a cached
// promise; hub models and the project's offline model go through exactly this code.
import { Embeddings, type EmbeddingsParams } from '@langchain/core/embeddings';
import { env, pipeline, Tensor, type FeatureExtractionPipeline } from '@huggingface/transformers';
import { TokenizeAhead } from './tokenize-ahead.js';
import type { EmbeddingDtype } from '../config.js';

export interface DownloadProgress {
  file: string;
  loaded: number;
  total: number;
}

export interface TransformersEmbeddingsParams extends EmbeddingsParams {
  /** A hub id ("Xenova/all-MiniLM-L6-v2") or a folder name under localModelPath. */
  modelId: string;
  /** Folder holding models laid out as <localModelPath>/<modelId>/{config.json,tokenizer.json,onnx/}. */
  localModelPath: string;
  /** Where hub downloads are cached. */
  cacheDir: string;
  allowRemoteModels: boolean;
  pooling?: 'mean' | 'cls';
  queryPrefix?: string;
  documentPrefix?: string;
  batchSize?: number;
  /** Which ONNX file of the model runs (fp32 onnx/model.onnx, q8 onnx/model_quantized.onnx, …). */
  dtype?: EmbeddingDtype;
  /** Tokenise each next batch on a worker thread during long runs (default true); false tokenises inline. */
  tokenizeAhead?: boolean;
  onDownload?: (progress: DownloadProgress) => void;
}

export class TransformersEmbeddings extends Embeddings {
  readonly modelId: string;
  readonly pooling: 'mean' | 'cls';
  readonly queryPrefix: string;
  readonly documentPrefix: string;
  readonly batchSize: number;
  readonly dtype: EmbeddingDtype;
  private readonly params: TransformersEmbeddingsParams;
  private pipelinePromise?: Promise<FeatureExtractionPipeline>;
  private aheadPromise?: Promise<TokenizeAhead | null>;

  constructor(params: TransformersEmbeddingsParams) {
    super(params);
    this.params = params;
    this.modelId = params.modelId;
    this.pooling = params.pooling ?? 'mean';
    this.queryPrefix = params.queryPrefix ?? '';
    this.documentPrefix = params.documentPrefix ?? '';
    this.batchSize = params.batchSize ?? 32;
    this.dtype = params.dtype ?? 'fp32';
  }

  /** Loads the model (downloading it if allowed and needed). Safe to call many times. */
  load(): Promise<FeatureExtractionPipeline> {
    this.pipelinePromise ??= this.createPipeline().catch((error) => {
      this.pipelinePromise = undefined; // let a later call try again
      throw error;
    });
    return this.pipelinePromise;
  }

  private async createPipeline(): Promise<FeatureExtractionPipeline> {
    // transformers.js reads these globals when a pipeline resolves its files.
    env.allowLocalModels = true;
    env.localModelPath = this.params.localModelPath.endsWith('/') ? this.params.localModelPath : `${this.params.localModelPath}/`;
    env.cacheDir = this.params.cacheDir;
    env.allowRemoteModels = this.params.allowRemoteModels;
    const onDownload = this.params.onDownload;
    // The cast keeps tsc from expanding pipeline()'s very large overload union.
    const createFeatureExtraction = pipeline as unknown as (
      task: 'feature-extraction',
      model: string,
      options: Record<string, unknown>,
    ) => Promise<FeatureExtractionPipeline>;
    return createFeatureExtraction('feature-extraction', this.modelId, {
      dtype: this.dtype,
      progress_callback: onDownload
        ? (p: { status: string; file?: string; loaded?: number; total?: number }) => {
            if (p.status === 'progress' && p.file) onDownload({ file: p.file, loaded: p.loaded ?? 0, total: p.total ?? 0 });
          }
        : undefined,
    });
  }

  /**
   * Embeds texts as they are (no prefix), in batches; rows are unit vectors, in input order.
   * Texts are batched in length order: a batch pads to its longest member, so mixing a title-only
   * chunk with a long one wastes most of the work.
   */
  async embedRaw(texts: string[], onBatch?: (done: number, batch: { rows: number[]; vectors: Float32Array[] }) => void): Promise<Float32Array[]> {
    const extractor = await this.load();
    const order = lengthSortedOrder(texts);
    const out = new Array<Float32Array>(texts.length);
    const batches: number[][] = [];
    for (let i = 0; i < order.length; i += this.batchSize) batches.push(order.slice(i, i + this.batchSize));
    // A long run (an ingest) tokenises each next batch on a worker while the model runs this one.
    let ahead = batches.length >= AHEAD_MIN_BATCHES && this.params.tokenizeAhead !== false ? await this.tokenizeAhead() : null;
    const encode = (b: number) => ahead!.encode(batches[b].map((r) => texts[r]));
    const inline = (rows: number[]) => extractor.tokenizer(rows.map((r) => texts[r]), { padding: true, truncation: true });
    let next = ahead ? encode(0) : null;
    let done = 0;
    for (const [b, rows] of batches.entries()) {
      // The pipeline's own tokenizer and model, pooled here: its mean pooling converts the int64
      // mask once per hidden value, which costs more than the model itself for short batches.
      let inputs;
      try {
        inputs = next ? asTensors(await next) : inline(rows);
      } catch {
        // The worker died: forget it, and tokenise the rest inline.
        this.aheadPromise = undefined;
        ahead = null;
        inputs = inline(rows);
      }
      next = ahead && b + 1 < batches.length ? encode(b + 1) : null;
      const outputs = await extractor.model(inputs);
      const hidden = outputs.last_hidden_state as { data: Float32Array; dims: number[]; dispose?: () => void };
      const pooled = poolAndNormalise(hidden.data, hidden.dims, inputs.attention_mask.data as BigInt64Array, this.pooling);
      rows.forEach((r, j) => (out[r] = pooled[j]));
      hidden.dispose?.();
      done += rows.length;
      onBatch?.(done, { rows, vectors: pooled });
    }
    return out;
  }

  /** Releases the model's ONNX Runtime session and the tokenizer worker; a later call loads them again. */
  async dispose(): Promise<void> {
    const [pipe, ahead] = await Promise.all([this.pipelinePromise?.catch(() => undefined), this.aheadPromise]);
    this.pipelinePromise = undefined;
    this.aheadPromise = undefined;
    await Promise.all([pipe?.dispose(), ahead?.close()]);
  }

  /** The tokenizer worker, started once; null where none can start (then tokenising is inline). */
  private tokenizeAhead(): Promise<TokenizeAhead | null> {
    const local = this.params.localModelPath;
    this.aheadPromise ??= TokenizeAhead.start({ modelId: this.modelId, localModelPath: local.endsWith('/') ? local : `${local}/`, cacheDir: this.params.cacheDir });
    return this.aheadPromise;
  }

  async embedDocuments(texts: string[]): Promise<number[][]> {
    const vectors = await this.embedRaw(texts.map((t) => this.documentPrefix + t));
    return vectors.map((v) => Array.from(v));
  }

  async embedQuery(text: string): Promise<number[]> {
    const [vector] = await this.embedRaw([this.queryPrefix + text]);
    return Array.from(vector);
  }
}

/** Batches below this many go through the pipeline's own tokenizer: a worker does not pay for a query. */
const AHEAD_MIN_BATCHES = 8;

function asTensors(encoded: Record<string, { data: BigInt64Array; dims: number[] }>): Record<string, Tensor> {
  return Object.fromEntries(Object.entries(encoded).map(([name, t]) => [name, new Tensor('int64', t.data, t.dims)]));
}

/** Indices of `texts` from shortest to longest (stable), the order embedRaw batches them in. */
export function lengthSortedOrder(texts: string[]): number[] {
  return texts.map((_, i) => i).sort((a, b) => texts[a].length - texts[b].length || a - b);
}

/**
 * Mean (over attended tokens) or CLS pooling of a [batch, seq, dims] output, each row scaled to unit length.
 * @example poolAndNormalise(new Float32Array([1, 0, 3, 0]), [1, 2, 2], new BigInt64Array([1n, 1n]), 'mean') // [[1, 0]]
 */
export function poolAndNormalise(data: Float32Array, dims: number[], mask: BigInt64Array, pooling: 'mean' | 'cls'): Float32Array[] {
  const [batch, seq, width] = dims;
  const rows: Float32Array[] = [];
  for (let b = 0; b < batch; b++) {
    const v = new Float32Array(width);
    const base = b * seq * width;
    if (pooling === 'cls') {
      v.set(data.subarray(base, base + width));
    } else {
      let count = 0;
      for (let t = 0; t < seq; t++) {
        if (mask[b * seq + t] === 0n) continue;
        count++;
        const off = base + t * width;
        for (let d = 0; d < width; d++) v[d] += data[off + d];
      }
      if (count > 0) for (let d = 0; d < width; d++) v[d] /= count;
    }
    let norm = 0;
    for (let d = 0; d < width; d++) norm += v[d] * v[d];
    const inv = norm > 0 ? 1 / Math.sqrt(norm) : 0;
    for (let d = 0; d < width; d++) v[d] *= inv;
    rows.push(v);
  }
  return rows;
}
