// `npm run fetch-model [model-id]`: downloads the configured (or given) embedding model from the hub
// into the data directory's cache, with a progress bar, so later runs work offline.
import { loadConfig } from './config.js';
import { loadEmbeddingModel, modelPaths } from './embeddings/load-embedding-model.js';
import { createProgress } from './progress.js';

const arg = process.argv[2];
if (arg === '--help' || arg === '-h') {
  console.log(`Usage: npm run fetch-model [-- <model id>]

Downloads an embedding model (default: $EMBEDDING_MODEL or Xenova/all-MiniLM-L6-v2) from the
Hugging Face hub into <DATA_DIR>/models/hub so that ingest and the server can run offline.
It fetches the ONNX file EMBEDDING_DTYPE names (fp32: onnx/model.onnx, q8: onnx/model_quantized.onnx).
Needs internet access once. Example: npm run fetch-model -- Xenova/bge-small-en-v1.5
                                     EMBEDDING_DTYPE=q8 npm run fetch-model`);
  process.exit(0);
}

const config = loadConfig({ ...process.env, ...(arg ? { EMBEDDING_MODEL: arg } : {}), ALLOW_REMOTE_MODELS: 'true' });
const progress = createProgress();
let current = '';
try {
  const { info } = await loadEmbeddingModel(config, {
    allowFallback: false,
    onDownload: (p) => {
      if (p.file !== current) {
        current = p.file;
        progress.start(p.file, p.total, 'bytes');
      }
      progress.update(p.loaded);
    },
  });
  progress.stop();
  console.log(`Model ${info.modelId} (${info.dtype}) is ready (${info.dims} dims), cached under ${modelPaths(config).cacheDir}.`);
} catch (error) {
  progress.stop();
  console.error(`${(error as Error).message}\nCheck the network, or copy the model folder into ${modelPaths(config).localDir}/<model id>/.`);
  process.exit(1);
}
