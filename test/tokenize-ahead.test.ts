// Tokenising ahead on a worker thread gives exactly the vectors inline tokenising gives.
import { describe, expect, it } from 'vitest';
import { ensureOfflineModel, OFFLINE_MODEL_NAME } from '../src/embeddings/offline-model.js';
import { TokenizeAhead } from '../src/embeddings/tokenize-ahead.js';
import { TransformersEmbeddings } from '../src/embeddings/transformers-embeddings.js';
import { syntheticAbstracts } from '../bench/synthetic-corpus.js';
import { tempDir } from './helpers.js';

describe('tokenising the next batch on a worker', () => {
  it('starts a worker with the model\'s tokenizer, and its batches embed to the same vectors as inline tokenising', async () => {
    const d = tempDir();
    const dir = await ensureOfflineModel(d.dir);
    const worker = await TokenizeAhead.start({ modelId: OFFLINE_MODEL_NAME, localModelPath: `${d.dir}/`, cacheDir: d.dir });
    expect(worker).not.toBeNull();
    const encoded = await worker!.encode(['Peer support workers', 'Stigma']);
    expect(encoded.input_ids.dims).toEqual([2, encoded.input_ids.dims[1]]);
    await worker!.close();
    expect(dir).toContain(OFFLINE_MODEL_NAME);

    const texts = syntheticAbstracts(40, 4).map((p) => p.abstract.slice(0, 500));
    const make = (tokenizeAhead: boolean) => new TransformersEmbeddings({ modelId: OFFLINE_MODEL_NAME, localModelPath: d.dir, cacheDir: d.dir, allowRemoteModels: false, batchSize: 4, tokenizeAhead });
    const withWorker = make(true);
    const [ahead, inline] = [await withWorker.embedRaw(texts), await make(false).embedRaw(texts)];
    expect(ahead.every((v, i) => Buffer.from(v.buffer).equals(Buffer.from(inline[i].buffer)))).toBe(true);

    // A worker that dies is forgotten: the next run tokenises inline and still finishes.
    const running = await (withWorker as unknown as { aheadPromise: Promise<TokenizeAhead> }).aheadPromise;
    await running.close();
    const again = await withWorker.embedRaw(texts);
    expect(again.every((v, i) => Buffer.from(v.buffer).equals(Buffer.from(inline[i].buffer)))).toBe(true);
    d.cleanup();
  });
});
