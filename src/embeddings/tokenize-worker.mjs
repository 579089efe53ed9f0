// @ts-check
// The other side of tokenize-ahead.ts: a worker thread holding its own copy of the model's
// tokenizer, which encodes the batch after the one ONNX Runtime is running on the main thread.
// Plain JavaScript, so it loads in a worker under any loader (tsx, a test runner) or none.
import { parentPort, workerData } from 'node:worker_threads';
import { AutoTokenizer, env } from '@huggingface/transformers';

/** @type {{ modelId: string; localModelPath: string; cacheDir: string }} */
const { modelId, localModelPath, cacheDir } = workerData;
env.allowLocalModels = true;
env.localModelPath = localModelPath;
env.cacheDir = cacheDir;
// The main thread has loaded (and, for a hub model, downloaded) these files already.
env.allowRemoteModels = false;

const tokenizer = await AutoTokenizer.from_pretrained(modelId);
const port = /** @type {import('node:worker_threads').MessagePort} */ (parentPort);
port.on('message', (/** @type {{ id: number; texts: string[] }} */ { id, texts }) => {
  const encoded = /** @type {Record<string, { data: BigInt64Array; dims: number[] }>} */ (/** @type {unknown} */ (tokenizer(texts, { padding: true, truncation: true })));
  /** @type {Record<string, { data: BigInt64Array; dims: number[] }>} */
  const tensors = {};
  for (const [name, t] of Object.entries(encoded)) tensors[name] = { data: t.data, dims: [...t.dims] };
  port.postMessage({ id, tensors }, Object.values(tensors).map((t) => /** @type {ArrayBuffer} */ (t.data.buffer)));
});
port.postMessage('ready');
