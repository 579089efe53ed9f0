import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { env, pipeline } from '@huggingface/transformers';
import { ensureOfflineModel, OFFLINE_MODEL_DIMS, OFFLINE_MODEL_NAME } from '../src/embeddings/offline-model.js';
import { loadEmbeddingModel } from '../src/embeddings/load-embedding-model.js';
import { ROOT, tempDir, testConfig } from './helpers.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((s, x, i) => s + x * b[i], 0);

describe('the offline embedding model', () => {
  it('is written in the transformers.js layout and loads through pipeline() with remote models off', async () => {
    const dir = await ensureOfflineModel(path.join(tmp.dir, 'models'));
    for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model.onnx']) expect(existsSync(path.join(dir, f)), f).toBe(true);
    env.allowRemoteModels = false;
    env.localModelPath = path.join(tmp.dir, 'models') + '/';
    const extractor = await pipeline('feature-extraction', OFFLINE_MODEL_NAME, { dtype: 'fp32' });
    const out = await extractor(['peer support workers', 'peer supporters at work', 'boiling point of mercury'], { pooling: 'mean', normalize: true });
    expect(out.dims).toEqual([3, OFFLINE_MODEL_DIMS]);
    const v = out.tolist() as number[][];
    expect(dot(v[0], v[0])).toBeCloseTo(1, 5);
    expect(dot(v[0], v[1])).toBeGreaterThan(dot(v[0], v[2]) + 0.3);
  });

  it('embeds exactly as the pipeline\'s own mean pooling would, in input order, in length-sorted batches', async () => {
    const config = testConfig(path.join(tmp.dir, 'data'), { EMBEDDING_BATCH_SIZE: '2' });
    const { embeddings } = await loadEmbeddingModel(config);
    const texts = ['a much longer text about peer support workers in acute psychiatric wards', 'stigma', 'recovery colleges and hope', 'x'];
    const ours = await embeddings.embedRaw(texts);
    const extractor = await embeddings.load();
    for (const [i, text] of texts.entries()) {
      const reference = (await extractor([text], { pooling: 'mean', normalize: true })).tolist()[0] as number[];
      expect(Array.from(ours[i])).toEqual(reference.map((x) => expect.closeTo(x, 5)));
    }
    const doc = await embeddings.embedDocuments(['stigma']);
    expect(doc[0]).toHaveLength(OFFLINE_MODEL_DIMS);
  });

  it('written by several processes at once, is never missing once one of them has it', async () => {
    const d = tempDir();
    // Four processes racing into one models folder (two ingests, or npm start beside npm run mcp):
    // each reads the model's files the moment its own call returns, as it would go on to load them.
    const script = `
      import { readFileSync } from 'node:fs';
      import path from 'node:path';
      import { ensureOfflineModel } from ${JSON.stringify(path.join(ROOT, 'src/embeddings/offline-model.ts'))};
      const dir = await ensureOfflineModel(process.argv[1]);
      for (const f of ['config.json', 'tokenizer.json', 'onnx/model.onnx']) readFileSync(path.join(dir, f));
      console.log('ok');`;
    const run = () =>
      new Promise<string>((resolve) => {
        const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, d.dir], { cwd: ROOT });
        let out = '';
        child.stdout.on('data', (c: Buffer) => (out += c));
        child.stderr.on('data', (c: Buffer) => (out += c));
        child.on('exit', () => resolve(out.trim()));
      });
    for (let round = 0; round < 3; round++) {
      rmSync(d.dir, { recursive: true, force: true });
      expect(await Promise.all(Array.from({ length: 4 }, run))).toEqual(['ok', 'ok', 'ok', 'ok']);
    }
    d.cleanup();
  }, 60_000);

  it('is deterministic: the same bytes on every build', async () => {
    const a = await ensureOfflineModel(path.join(tmp.dir, 'a'));
    const b = await ensureOfflineModel(path.join(tmp.dir, 'b'));
    expect(readFileSync(path.join(a, 'onnx/model.onnx')).equals(readFileSync(path.join(b, 'onnx/model.onnx')))).toBe(true);
  });

  it('stands in, loudly and once, when the configured hub model cannot be had', async () => {
    const config = testConfig(path.join(tmp.dir, 'data'), { EMBEDDING_MODEL: 'Xenova/all-MiniLM-L6-v2', ALLOW_REMOTE_MODELS: 'false' });
    const warnings: string[] = [];
    const { info, embeddings } = await loadEmbeddingModel(config, { warn: (m) => warnings.push(m) });
    expect(info).toMatchObject({ wanted: 'Xenova/all-MiniLM-L6-v2', modelId: 'offline:abstracts-offline-v1', offline: true, dims: 256 });
    expect(info.fallbackReason).toMatch(/no local copy found and remote models are disabled/);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/WARNING: embedding model "Xenova\/all-MiniLM-L6-v2" is not available/);
    expect(warnings[0]).toMatch(/npm run fetch-model/);
    expect(warnings[0]).toMatch(/close to keyword matching/);
    const [q] = await embeddings.embedRaw(['stigma']);
    expect(q).toHaveLength(256);
    await loadEmbeddingModel(config, { warn: (m) => warnings.push(m) });
    expect(warnings).toHaveLength(1);
  });

  it('fails clearly instead of falling back when asked to', async () => {
    const config = testConfig(path.join(tmp.dir, 'data'), { EMBEDDING_MODEL: 'Xenova/bge-small-en-v1.5', ALLOW_REMOTE_MODELS: 'false' });
    await expect(loadEmbeddingModel(config, { allowFallback: false })).rejects.toThrow(/Xenova\/bge-small-en-v1\.5" is not available/);
  });
});
