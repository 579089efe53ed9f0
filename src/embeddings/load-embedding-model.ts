// Model resolution: a local model directory first, then the hub (downloaded once, cached in the
// data directory). When neither works, the project's own offline model takes over and we say so
// loudly, once: what was wanted, why it failed, how to fix it, and what that costs.
import path from 'node:path';
import { DTYPE_FILES, OFFLINE_MODEL_ID, type Config, type EmbeddingDtype } from '../config.js';
import { ensureOfflineModel, OFFLINE_MODEL_NAME } from './offline-model.js';
import { TransformersEmbeddings, type DownloadProgress } from './transformers-embeddings.js';

export interface EmbeddingModelInfo {
  /** What the configuration asked for. */
  wanted: string;
  /** What is actually loaded: a hub id, or "offline:abstracts-offline-v1". */
  modelId: string;
  offline: boolean;
  dims: number;
  /** The ONNX file that runs: fp32, q8, … (the offline model has only fp32). */
  dtype: EmbeddingDtype;
  pooling: 'mean' | 'cls';
  queryPrefix: string;
  documentPrefix: string;
  /** Set when the offline model stands in for the wanted one. */
  fallbackReason?: string;
}

export interface LoadedEmbeddings {
  embeddings: TransformersEmbeddings;
  info: EmbeddingModelInfo;
}

export function modelPaths(config: Config) {
  const models = path.join(config.dataDir, 'models');
  return {
    offlineDir: models,
    localDir: config.embedding.localModelPath ?? path.join(models, 'local'),
    cacheDir: path.join(models, 'hub'),
  };
}

async function probeDims(embeddings: TransformersEmbeddings): Promise<number> {
  const [v] = await embeddings.embedRaw(['dimension probe']);
  return v.length;
}

async function loadOffline(config: Config, wanted: string, fallbackReason?: string): Promise<LoadedEmbeddings> {
  const { offlineDir } = modelPaths(config);
  await ensureOfflineModel(offlineDir);
  const embeddings = new TransformersEmbeddings({
    modelId: OFFLINE_MODEL_NAME,
    localModelPath: offlineDir,
    cacheDir: modelPaths(config).cacheDir,
    allowRemoteModels: false,
    pooling: 'mean',
    batchSize: config.embedding.batchSize,
  });
  const dims = await probeDims(embeddings);
  return {
    embeddings,
    info: { wanted, modelId: `offline:${OFFLINE_MODEL_NAME}`, offline: true, dims, dtype: 'fp32', pooling: 'mean', queryPrefix: '', documentPrefix: '', fallbackReason },
  };
}

let warnedFallback = false;

function fallbackWarning(config: Config, reason: string): string {
  const { localDir } = modelPaths(config);
  const wanted = config.embedding.model;
  return [
    '',
    '================================================================================',
    `WARNING: embedding model "${wanted}" is not available: ${reason}`,
    'Using the built-in OFFLINE embedding model instead. It is deterministic and needs no',
    'download, but it knows no meaning: retrieval is now close to keyword matching.',
    'To use the real model, do one of:',
    `  - run once with internet access: ${config.embedding.dtype === 'fp32' ? '' : `EMBEDDING_DTYPE=${config.embedding.dtype} `}npm run fetch-model   (cached under ${modelPaths(config).cacheDir})`,
    `  - copy the model folder to ${path.join(localDir, wanted)}/ (config.json, tokenizer.json, onnx/${DTYPE_FILES[config.embedding.dtype]})`,
    '  - point EMBEDDING_MODEL_PATH at a folder that holds <model id>/ like that',
    'To choose the offline model on purpose (and silence this): EMBEDDING_MODEL=offline',
    '================================================================================',
    '',
  ].join('\n');
}

/**
 * Loads the configured embedding model, falling back to the offline model when it cannot be had.
 * @example const { embeddings, info } = await loadEmbeddingModel(config); info.offline // true here
 */
export async function loadEmbeddingModel(
  config: Config,
  options: { warn?: (message: string) => void; onDownload?: (p: DownloadProgress) => void; allowFallback?: boolean } = {},
): Promise<LoadedEmbeddings> {
  const wanted = config.embedding.model;
  if (wanted === OFFLINE_MODEL_ID) return loadOffline(config, wanted);
  const { localDir, cacheDir } = modelPaths(config);
  const embeddings = new TransformersEmbeddings({
    modelId: wanted,
    localModelPath: localDir,
    cacheDir,
    allowRemoteModels: config.embedding.allowRemoteModels,
    pooling: config.embedding.pooling,
    queryPrefix: config.embedding.queryPrefix,
    documentPrefix: config.embedding.documentPrefix,
    batchSize: config.embedding.batchSize,
    dtype: config.embedding.dtype,
    onDownload: options.onDownload,
  });
  try {
    const dims = await probeDims(embeddings);
    return {
      embeddings,
      info: {
        wanted,
        modelId: wanted,
        offline: false,
        dims,
        dtype: config.embedding.dtype,
        pooling: config.embedding.pooling,
        queryPrefix: config.embedding.queryPrefix,
        documentPrefix: config.embedding.documentPrefix,
      },
    };
  } catch (error) {
    const reason = describeLoadError(error, config);
    if (options.allowFallback === false) throw new Error(`Embedding model "${wanted}" is not available: ${reason}`);
    if (!warnedFallback) {
      warnedFallback = true;
      (options.warn ?? console.warn)(fallbackWarning(config, reason));
    }
    return loadOffline(config, wanted, reason);
  }
}

function describeLoadError(error: unknown, config: Config): string {
  const message = (error as Error)?.message ?? String(error);
  if (!config.embedding.allowRemoteModels) return `no local copy found and remote models are disabled (${message.split('\n')[0]})`;
  if (/fetch failed|ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|network/i.test(message)) {
    return 'the model hub cannot be reached and no local or cached copy exists';
  }
  return message.split('\n')[0];
}
