// LangChain's Embeddings interface over a transformers.js feature-extraction pipeline, so the HNSWLib
// store (and anything else in LangChain) can use it. The pipeline loads lazily, once, into a cached
// promise; hub models and the project's offline model go through exactly this code.
import { Embeddings, type EmbeddingsParams } from '@langchain/core/embeddings';
import { env, pipeline, type FeatureExtractionPipeline } from '@huggingface/transformers';

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
  onDownload?: (progress: DownloadProgress) => void;
}

export class TransformersEmbeddings extends Embeddings {
  readonly modelId: string;
  readonly pooling: 'mean' | 'cls';
  readonly queryPrefix: string;
  readonly documentPrefix: string;
  readonly batchSize: number;
  private readonly params: TransformersEmbeddingsParams;
  private pipelinePromise?: Promise<FeatureExtractionPipeline>;

  constructor(params: TransformersEmbeddingsParams) {
    super(params);
    this.params = params;
    this.modelId = params.modelId;
    this.pooling = params.pooling ?? 'mean';
    this.queryPrefix = params.queryPrefix ?? '';
    this.documentPrefix = params.documentPrefix ?? '';
    this.batchSize = params.batchSize ?? 32;
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
      dtype: 'fp32',
      progress_callback: onDownload
        ? (p: { status: string; file?: string; loaded?: number; total?: number }) => {
            if (p.status === 'progress' && p.file) onDownload({ file: p.file, loaded: p.loaded ?? 0, total: p.total ?? 0 });
          }
        : undefined,
    });
  }

  /** Embeds texts as they are (no prefix), in batches; rows are unit vectors. */
  async embedRaw(texts: string[], onBatch?: (done: number) => void): Promise<Float32Array[]> {
    const extractor = await this.load();
    const out: Float32Array[] = [];
    for (let i = 0; i < texts.length; i += this.batchSize) {
      const batch = texts.slice(i, i + this.batchSize);
      const tensor = await extractor(batch, { pooling: this.pooling, normalize: true });
      const data = tensor.data as Float32Array;
      const dims = tensor.dims[tensor.dims.length - 1];
      for (let r = 0; r < batch.length; r++) out.push(data.slice(r * dims, (r + 1) * dims));
      tensor.dispose?.();
      onBatch?.(out.length);
    }
    return out;
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
