// `npm run bench`: speed, measured side by side in one run on this machine, printed as tables and
// written as JSON to bench/results/. Sizes are flags so a person can run it in a few minutes.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import * as ort from 'onnxruntime-node';
import { AutoTokenizer } from '@huggingface/transformers';
import { loadConfig, PROJECT_ROOT } from '../src/config.js';
import { lengthSortedOrder, TransformersEmbeddings, type TransformersEmbeddingsParams } from '../src/embeddings/transformers-embeddings.js';
import { ensureOfflineModel, OFFLINE_MODEL_NAME } from '../src/embeddings/offline-model.js';
import { loadEmbeddingModel } from '../src/embeddings/load-embedding-model.js';
import { buildGraph } from '../src/store/hnsw-index.js';
import { ingestFiles } from '../ingest/ingest-files.js';
import { openIndex } from '../src/store/index-dir.js';
import { silentProgress } from '../src/progress.js';
import { ensureMinilmShapedModel, MINILM_SHAPED_NAME } from './minilm-shaped-model.js';
import { mean, overlapRecall, percentile, table } from './metrics.js';
import { rng, seedText, syntheticAbstracts } from './synthetic-corpus.js';

const HELP = `Usage: npm run bench -- [options]

Sections (all by default): embed, search, ingest, scale, resume, server, cold, postgres
  --only <list>            comma-separated sections to run
  --vectors <list>         vector counts for the search section (default 10000,100000)
  --queries <n>            queries per size (default 200)
  --tune                   also sweep HNSW M and efConstruction at the largest size
  --embed-texts <n>        texts for the embedding section (default 256)
  --batches <list>         batch sizes (default 1,8,32)
  --ingest-papers <n>      synthetic abstracts for the ingest section (default 10000)
  --scale-papers <n>       synthetic abstracts for the scale section, offline model (default 100000)
  --resume-papers <n>      synthetic abstracts for the killed-and-resumed build (default 400)
  --server-papers <n>      papers in the server section's index (default 1000)
  --duration <s>           seconds per load test (default 10)
  --connections <n>        concurrent connections (default 16)
  --cold-papers <n>        papers in the cold-start index (default 10000)
  --pg-chunks <list>       chunk counts for the postgres section (default 10000,100000); it runs
                           against DATABASE_URL when set, else a PGlite it starts on 127.0.0.1
  --pg-sizing-vectors <n>  384-dim vectors for the pgvector HNSW size figure (default 20000)
Results: printed, and written to bench/results/latest.json and latest.md (gitignored).`;

const { values: flags } = parseArgs({
  options: {
    only: { type: 'string' },
    vectors: { type: 'string', default: '10000,100000' },
    queries: { type: 'string', default: '200' },
    tune: { type: 'boolean', default: false },
    'embed-texts': { type: 'string', default: '256' },
    batches: { type: 'string', default: '1,8,32' },
    'ingest-papers': { type: 'string', default: '10000' },
    'scale-papers': { type: 'string', default: '100000' },
    'resume-papers': { type: 'string', default: '400' },
    'server-papers': { type: 'string', default: '1000' },
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '16' },
    'cold-papers': { type: 'string', default: '10000' },
    'pg-chunks': { type: 'string', default: '10000,100000' },
    'pg-sizing-vectors': { type: 'string', default: '20000' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (flags.help) {
  console.log(HELP);
  process.exit(0);
}
const sections = new Set((flags.only ?? 'embed,search,ingest,scale,resume,server,cold,postgres').split(','));
const list = (s: string) => s.split(',').map(Number);

const RESULTS = path.join(PROJECT_ROOT, 'bench', 'results');
const WORK = path.join(RESULTS, 'work');
const MODELS = path.join(WORK, 'models');
mkdirSync(MODELS, { recursive: true });
const config = loadConfig({ ...process.env, DATA_DIR: path.join(WORK, 'data') });
const report: Record<string, unknown> = {
  machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, memGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, platform: `${os.platform()} ${os.arch()}` },
  startedAt: new Date().toISOString(),
};
const markdown: string[] = [];
const print = (title: string, body: string) => {
  console.log(`\n## ${title}\n\n${body}`);
  markdown.push(`### ${title}\n\n${body}`);
};
const ms = (t0: number) => performance.now() - t0;
/** Words to vary the benchmark's questions with, from the bundled listing. */
const seedWords = [...new Set(seedText().toLowerCase().match(/[a-z]{6,}/g) ?? [])];

// ------------------------------------------------------------------ 1. vector search

/**
 * Unit vectors shaped like sentence embeddings: a low-dimensional latent topic space (32 dims)
 * projected into 384, plus isotropic noise. Neighbourhoods are continuous, not separated clusters,
 * which is what makes approximate search lose recall; uniform random vectors would be unrealistically
 * hard, well-separated clusters unrealistically easy.
 */
function embeddingLikeVectors(n: number, dims: number, seed: number, latent = 32, noise = 0.35): Float32Array {
  const random = rng(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random());
  const projection = Float32Array.from({ length: latent * dims }, () => gauss() / Math.sqrt(latent));
  const out = new Float32Array(n * dims);
  const z = new Float32Array(latent);
  for (let i = 0; i < n; i++) {
    for (let l = 0; l < latent; l++) z[l] = gauss();
    let norm = 0;
    for (let d = 0; d < dims; d++) {
      let v = noise * gauss();
      for (let l = 0; l < latent; l++) v += z[l] * projection[l * dims + d];
      out[i * dims + d] = v;
      norm += v * v;
    }
    const inv = 1 / Math.sqrt(norm);
    for (let d = 0; d < dims; d++) out[i * dims + d] *= inv;
  }
  return out;
}

/** The exact answer: a tight dot-product loop over every row, keeping the top k. */
function exactTopK(vectors: Float32Array, dims: number, q: Float32Array, k: number): Int32Array {
  const n = vectors.length / dims;
  const best = new Float32Array(k).fill(-Infinity);
  const ids = new Int32Array(k).fill(-1);
  for (let i = 0; i < n; i++) {
    let dot = 0;
    const off = i * dims;
    for (let d = 0; d < dims; d++) dot += vectors[off + d] * q[d];
    if (dot > best[k - 1]) {
      let j = k - 1;
      while (j > 0 && best[j - 1] < dot) {
        best[j] = best[j - 1];
        ids[j] = ids[j - 1];
        j--;
      }
      best[j] = dot;
      ids[j] = i;
    }
  }
  return ids;
}

async function benchSearch() {
  const dims = 384;
  const queries = Number(flags.queries);
  const rows: Array<Array<string | number>> = [];
  const efRows: Array<Array<string | number>> = [];
  const results: unknown[] = [];
  for (const n of list(flags.vectors!)) {
    // Data and queries drawn from the same distribution, as questions resemble the abstracts they target.
    const pool = embeddingLikeVectors(n + queries, dims, 7);
    const vectors = pool.subarray(0, n * dims);
    const qs = pool.subarray(n * dims);
    const queryRows = Array.from({ length: queries }, (_, i) => qs.subarray(i * dims, (i + 1) * dims));

    const exactTimes: number[] = [];
    const truth = queryRows.map((q) => {
      const t0 = performance.now();
      const ids = exactTopK(vectors, dims, q, 10);
      exactTimes.push(ms(t0));
      return ids;
    });

    const t0 = performance.now();
    const graph = await buildGraph(vectors, dims, config.hnsw);
    const buildMs = ms(t0);
    mkdirSync(WORK, { recursive: true });
    const file = path.join(WORK, `hnsw-${n}.index`);
    await graph.writeIndex(file);
    const sizeMiB = statSync(file).size / 2 ** 20;

    const measure = async (ef: number) => {
      graph.setEf(ef);
      const times: number[] = [];
      const recalls: number[] = [];
      for (const [i, q] of queryRows.entries()) {
        const arr = Array.from(q);
        const t = performance.now();
        const hits = graph.searchKnn(arr, 10);
        times.push(ms(t));
        recalls.push(overlapRecall(hits.neighbors, truth[i]));
      }
      return { p50: percentile(times, 50), p95: percentile(times, 95), recall: mean(recalls) };
    };
    for (const ef of [50, 100, 200, 300].filter((e) => e !== config.hnsw.efSearch)) {
      const m = await measure(ef);
      efRows.push([n, ef, m.recall, m.p50, m.p95]);
    }
    const chosen = await measure(config.hnsw.efSearch);
    efRows.push([n, `${config.hnsw.efSearch} (default)`, chosen.recall, chosen.p50, chosen.p95]);
    const exact = { p50: percentile(exactTimes, 50), p95: percentile(exactTimes, 95) };
    rows.push([n, exact.p50, exact.p95, chosen.p50, chosen.p95, `${(exact.p50 / chosen.p50).toFixed(0)}×`, chosen.recall, buildMs / 1000, sizeMiB]);
    results.push({ n, dims, exact, hnsw: chosen, speedup: exact.p50 / chosen.p50, buildSeconds: buildMs / 1000, indexMiB: sizeMiB, params: config.hnsw });

    if (flags.tune && n === Math.max(...list(flags.vectors!))) {
      const tuneRows: Array<Array<string | number>> = [];
      for (const m of [16, 24, 32]) {
        for (const efConstruction of [100, 200]) {
          const tb = performance.now();
          const s = await buildGraph(vectors, dims, { m, efConstruction, efSearch: 100 });
          const b = ms(tb);
          for (const ef of [100, 150, 200, 300]) {
            s.setEf(ef);
            const times: number[] = [];
            const recalls: number[] = [];
            for (const [i, q] of queryRows.entries()) {
              const t = performance.now();
              const hits = s.searchKnn(Array.from(q), 10);
              times.push(ms(t));
              recalls.push(overlapRecall(hits.neighbors, truth[i]));
            }
            tuneRows.push([m, efConstruction, ef, mean(recalls), percentile(times, 50), `${(exact.p50 / percentile(times, 50)).toFixed(0)}×`, b / 1000]);
          }
        }
      }
      print(`HNSW tuning at ${n} vectors (raw hnswlib searchKnn, without the LangChain store's document lookups)`, table(['M', 'efConstruction', 'efSearch', 'recall@10', 'p50 ms', 'speed-up', 'build s'], tuneRows));
      report.tuning = tuneRows;
    }
  }
  print(
    `Vector search: HNSW (M=${config.hnsw.m}, efConstruction=${config.hnsw.efConstruction}, efSearch=${config.hnsw.efSearch}) vs exact scan, top-10, ${queries} queries, 384-dim`,
    table(['vectors', 'exact p50 ms', 'exact p95 ms', 'HNSW p50 ms', 'HNSW p95 ms', 'speed-up (p50)', 'recall@10', 'build s', 'index MiB'], rows),
  );
  print('efSearch sweep (same graphs)', table(['vectors', 'efSearch', 'recall@10', 'p50 ms', 'p95 ms'], efRows));
  report.search = results;
}

// ------------------------------------------------------------------ 2. embedding throughput

function chunkTexts(n: number): string[] {
  const papers = syntheticAbstracts(Math.ceil(n / 3), 11);
  const texts: string[] = [];
  for (const p of papers) {
    const sentences = p.abstract.match(/[^.!?]+[.!?]+/g) ?? [p.abstract];
    for (let i = 0; i + 3 <= sentences.length && texts.length < n; i += 2) texts.push(`${p.title}\n${sentences.slice(i, i + 3).join('').trim()}`);
  }
  return texts.slice(0, n);
}

/** The MiniLM-shaped benchmark model, loaded from the bench's own models folder. */
function minilmEmbeddings(params: Partial<TransformersEmbeddingsParams>): TransformersEmbeddings {
  return new TransformersEmbeddings({ modelId: MINILM_SHAPED_NAME, localModelPath: MODELS, cacheDir: MODELS, allowRemoteModels: false, ...params });
}

async function benchEmbed() {
  await ensureMinilmShapedModel(MODELS, seedText());
  const texts = chunkTexts(Number(flags['embed-texts']));
  const tokenizer = await AutoTokenizer.from_pretrained(MINILM_SHAPED_NAME, { local_files_only: true, cache_dir: MODELS } as never).catch(async () => {
    const { env } = await import('@huggingface/transformers');
    env.localModelPath = `${MODELS}/`;
    env.allowRemoteModels = false;
    return AutoTokenizer.from_pretrained(MINILM_SHAPED_NAME);
  });
  const rows: Array<Array<string | number>> = [];
  const results: unknown[] = [];
  let tokens = 0;
  for (const batch of list(flags.batches!)) {
    // The floor: the same token batches (same length order) straight into InferenceSession.run,
    // tokenised beforehand.
    const sorted = lengthSortedOrder(texts).map((i) => texts[i]);
    const batches: string[][] = [];
    const feeds: Array<Record<string, ort.Tensor>> = [];
    tokens = 0;
    for (let i = 0; i < sorted.length; i += batch) {
      batches.push(sorted.slice(i, i + batch));
      const enc = tokenizer(batches.at(-1)!, { padding: true, truncation: true }) as Record<string, { data: BigInt64Array; dims: number[] }>;
      const feed: Record<string, ort.Tensor> = {};
      for (const name of ['input_ids', 'attention_mask', 'token_type_ids']) feed[name] = new ort.Tensor('int64', enc[name].data, enc[name].dims);
      tokens += enc.attention_mask.data.reduce((s, v) => s + Number(v), 0);
      feeds.push(feed);
    }
    const ours = minilmEmbeddings({ batchSize: batch });
    await ours.embedRaw(batches[0]); // load and warm up
    // The raw floor runs on the very InferenceSession our pipeline holds: one model, one thread pool.
    const session = (await ours.load()).model.sessions.model as unknown as ort.InferenceSession;
    await session.run(feeds[0]);
    // Interleaved batch by batch, two passes, so drift in machine speed falls on both alike.
    let oursSec = 0;
    let rawSec = 0;
    for (let pass = 0; pass < 2; pass++) {
      for (const [i, texts] of batches.entries()) {
        const t0 = performance.now();
        await ours.embedRaw(texts);
        oursSec += ms(t0) / 1000;
        const t1 = performance.now();
        await session.run(feeds[i]);
        rawSec += ms(t1) / 1000;
      }
    }
    const n = 2 * texts.length;
    // ONNX Runtime's idle thread pools spin: a session left loaded slows every later one.
    await ours.dispose();
    rows.push([batch, n / oursSec, n / rawSec, (rawSec / oursSec).toFixed(2)]);
    results.push({ batch, oursChunksPerSec: n / oursSec, rawChunksPerSec: n / rawSec, ratio: rawSec / oursSec });
  }
  // fp32 against q8: one set of weights in both files, the same texts, interleaved passes.
  const batch = config.embedding.batchSize;
  const byDtype = { fp32: minilmEmbeddings({ batchSize: batch, dtype: 'fp32' }), q8: minilmEmbeddings({ batchSize: batch, dtype: 'q8' }) };
  const seconds = { fp32: 0, q8: 0 };
  const vectorsOf: Record<string, Float32Array[]> = {};
  for (const e of Object.values(byDtype)) await e.embedRaw(texts.slice(0, batch * 2));
  for (let pass = 0; pass < 2; pass++) {
    for (const [dtype, e] of Object.entries(byDtype) as Array<[keyof typeof seconds, TransformersEmbeddings]>) {
      const t0 = performance.now();
      vectorsOf[dtype] = await e.embedRaw(texts);
      seconds[dtype] += ms(t0) / 1000;
    }
  }
  await Promise.all(Object.values(byDtype).map((e) => e.dispose()));
  const cosines = vectorsOf.fp32.map((a, i) => a.reduce((sum, x, d) => sum + x * vectorsOf.q8[i][d], 0));
  const rate = (dtype: keyof typeof seconds) => (2 * texts.length) / seconds[dtype];
  const dtypes = { batch, fp32ChunksPerSec: rate('fp32'), q8ChunksPerSec: rate('q8'), speedup: rate('q8') / rate('fp32'), cosineMean: mean(cosines), cosineMin: Math.min(...cosines) };
  print(
    `fp32 against q8 (dynamic int8, onnx/model_quantized.onnx, the same weights): MiniLM-shaped model, ${texts.length} chunks, batch ${batch}`,
    table(
      ['EMBEDDING_DTYPE', 'chunks/s', '× fp32', 'cosine to fp32: mean', 'min'],
      [
        ['fp32', dtypes.fp32ChunksPerSec, 1, 1, 1],
        ['q8', dtypes.q8ChunksPerSec, dtypes.speedup, dtypes.cosineMean.toFixed(6), dtypes.cosineMin.toFixed(6)],
      ],
    ) + '\n\nThe cosine is a numerical sanity check only: random weights have none of a trained model\'s outlier activations, which are what int8 loses most on.',
  );

  // Tokenising the next batch on a worker while the model runs (the default) against inline.
  const overlap = { ahead: 0, inline: 0 };
  const byOverlap = { ahead: minilmEmbeddings({ batchSize: batch }), inline: minilmEmbeddings({ batchSize: batch, tokenizeAhead: false }) };
  for (const e of Object.values(byOverlap)) await e.embedRaw(texts);
  for (let pass = 0; pass < 2; pass++) {
    for (const [how, e] of Object.entries(byOverlap) as Array<[keyof typeof overlap, TransformersEmbeddings]>) {
      const t0 = performance.now();
      await e.embedRaw(texts);
      overlap[how] += ms(t0) / 1000;
    }
  }
  await Promise.all(Object.values(byOverlap).map((e) => e.dispose()));
  const overlapRate = (how: keyof typeof overlap) => (2 * texts.length) / overlap[how];
  print(
    `Tokenising ahead on a worker thread against inline: MiniLM-shaped fp32 model, ${texts.length} chunks, batch ${batch}`,
    table(
      ['tokenising', 'chunks/s', '× inline'],
      [
        ['inline, then the model', overlapRate('inline'), 1],
        ['next batch on a worker while the model runs (default)', overlapRate('ahead'), overlapRate('ahead') / overlapRate('inline')],
      ],
    ),
  );

  // The offline model, for scale: what tests and the fallback cost.
  await ensureOfflineModel(MODELS);
  const offline = new TransformersEmbeddings({ modelId: OFFLINE_MODEL_NAME, localModelPath: MODELS, cacheDir: MODELS, allowRemoteModels: false, batchSize: 32 });
  await offline.embedRaw(texts); // warm-up, tokenizer worker included
  const t2 = performance.now();
  await offline.embedRaw(texts);
  const offlineRate = texts.length / (ms(t2) / 1000);
  print(
    `Embedding throughput: MiniLM-shaped random-weight model (6 layers, 384 hidden, 12 heads, 1536 FFN; vectors meaningless, speed only), ${texts.length} chunks, ${(tokens / texts.length).toFixed(0)} tokens/chunk`,
    table(['batch', 'our path chunks/s', 'raw InferenceSession.run chunks/s (same session)', 'ours ÷ raw'], rows) + `\n\nOffline fallback model (Gather only), batch 32: ${offlineRate.toFixed(0)} chunks/s.`,
  );
  report.embed = { results, tokensPerChunk: tokens / texts.length, offlineChunksPerSec: offlineRate, dtypes, tokenizeAhead: { inlineChunksPerSec: overlapRate('inline'), aheadChunksPerSec: overlapRate('ahead') } };
}

// ------------------------------------------------------------------ helpers for child processes

function spawnTsx(script: string, args: string[], env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, script), ...args], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Peak (VmHWM) and current (VmRSS) resident memory of a live process, in MiB. */
function memoryOf(pid: number): { peak: number; rss: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(status.match(new RegExp(`${key}:\\s+(\\d+)`))?.[1] ?? 0);
    return { peak: kb('VmHWM') / 1024, rss: kb('VmRSS') / 1024 };
  } catch {
    return { peak: 0, rss: 0 };
  }
}

function exited(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => child.on('exit', (code) => resolve(code ?? -1)));
}

async function waitForPort(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = out.match(/listening (?:on http:\/\/127\.0\.0\.1:)?(\d+)/);
      if (m) resolve(Number(m[1]));
    });
    child.on('exit', (code) => reject(new Error(`server exited (${code}): ${out}`)));
  });
}

async function buildSyntheticIndex(dataDir: string, papers: number): Promise<void> {
  const file = path.join(WORK, `synthetic-${papers}.jsonl`);
  writeFileSync(file, syntheticAbstracts(papers, 3).map((p) => JSON.stringify(p)).join('\n'));
  const cfg = loadConfig({ DATA_DIR: dataDir, EMBEDDING_MODEL: 'offline' });
  await ingestFiles({ config: cfg, files: [file], loaded: await loadEmbeddingModel(cfg), replace: true, progress: silentProgress });
}

// ------------------------------------------------------------------ 3. ingest end to end

async function benchIngest() {
  const papers = Number(flags['ingest-papers']);
  await ensureMinilmShapedModel(MODELS, seedText());
  const file = path.join(WORK, `ingest-${papers}.jsonl`);
  writeFileSync(file, syntheticAbstracts(papers, 5).map((p) => JSON.stringify(p)).join('\n'));
  const t0 = performance.now();
  const child = spawnTsx('ingest/cli.ts', ['--replace', '--quiet', file], {
    DATA_DIR: path.join(WORK, 'ingest-data'),
    EMBEDDING_MODEL: MINILM_SHAPED_NAME,
    EMBEDDING_MODEL_PATH: MODELS,
    ALLOW_REMOTE_MODELS: 'false',
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.resume();
  let peak = 0;
  const poll = setInterval(() => (peak = Math.max(peak, memoryOf(child.pid!).peak)), 100);
  const code = await exited(child);
  clearInterval(poll);
  const wall = ms(t0) / 1000;
  const chunks = Number(out.match(/(\d+) chunks \((\d+) embedded/)?.[2] ?? NaN);
  print(
    `Ingest end to end: ${papers} synthetic abstracts (JSONL) through npm run ingest, MiniLM-shaped model`,
    table(['papers', 'chunks', 'wall s', 'chunks/s', 'peak RSS MiB', 'exit'], [[papers, chunks, wall, chunks / wall, peak, code]]),
  );
  report.ingest = { papers, chunks, wallSeconds: wall, chunksPerSec: chunks / wall, peakRssMiB: peak, exitCode: code };
}

// ------------------------------------------------------------------ 3b. ingest at 100k papers

/** Runs `npm run ingest -- --json …` in a child, sampling its peak RSS; returns its summary. */
async function ingestJson(args: string[], env: Record<string, string>, onStderr?: (text: string, child: ChildProcess) => void) {
  const t0 = performance.now();
  const child = spawnTsx('ingest/cli.ts', ['--json', ...args], env);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => onStderr?.(d.toString(), child));
  let peak = 0;
  const poll = setInterval(() => (peak = Math.max(peak, memoryOf(child.pid!).peak)), 200);
  const code = await exited(child);
  clearInterval(poll);
  const summary = out.trim() ? (JSON.parse(out.trim().split('\n').at(-1)!) as IngestSummary) : null;
  return { code, wall: ms(t0) / 1000, peak, summary, signal: child.signalCode };
}

interface IngestSummary {
  chunks: { total: number; embedded: number; reused: number; resumed: number };
  timings: Record<'parseMs' | 'mergeMs' | 'chunkMs' | 'embedMs' | 'indexMs' | 'writeMs', number>;
}

/** fp32 MiniLM-shaped chunks/s, from this run's embed or ingest section when it ran, else measured now. */
async function fp32ChunksPerSec(): Promise<{ rate: number; from: string }> {
  const previous = (name: string) => {
    try {
      return JSON.parse(readFileSync(path.join(WORK, `section-${name}.json`), 'utf8')).report;
    } catch {
      return undefined;
    }
  };
  // The fastest fp32 figure this run has: the faster the model, the larger the share of the rest.
  const ingest = previous('ingest')?.ingest?.chunksPerSec;
  const embed = previous('embed')?.embed;
  const embedRates: number[] = embed ? [embed.dtypes?.fp32ChunksPerSec ?? 0, ...(embed.results ?? []).map((r: { oursChunksPerSec: number }) => r.oursChunksPerSec)] : [];
  const candidates: Array<[number, string]> = [
    ...(ingest ? [[ingest, 'the ingest section (end to end)'] as [number, string]] : []),
    ...(embedRates.length ? [[Math.max(...embedRates), "the embed section's fastest fp32 figure"] as [number, string]] : []),
  ];
  if (candidates.length) {
    const [rate, from] = candidates.sort((a, b) => b[0] - a[0])[0];
    return { rate, from };
  }
  await ensureMinilmShapedModel(MODELS, seedText());
  const e = minilmEmbeddings({ batchSize: config.embedding.batchSize });
  const texts = chunkTexts(128);
  await e.embedRaw(texts.slice(0, 16));
  const t0 = performance.now();
  await e.embedRaw(texts);
  return { rate: texts.length / (ms(t0) / 1000), from: 'measured here, 128 chunks' };
}

async function benchScale() {
  const papers = Number(flags['scale-papers']);
  const file = path.join(WORK, `scale-${papers}.jsonl`);
  writeFileSync(file, syntheticAbstracts(papers, 9).map((p) => JSON.stringify(p)).join('\n'));
  const run = await ingestJson(['--replace', '--quiet', file], { DATA_DIR: path.join(WORK, 'scale-data'), EMBEDDING_MODEL: 'offline' });
  if (run.code !== 0 || !run.summary) throw new Error(`scale ingest failed (exit ${run.code})`);
  const t = run.summary.timings;
  const chunks = run.summary.chunks.total;
  // Everything but the embedding, measured with a model that costs next to nothing; then what the
  // same build costs with the fp32 MiniLM-shaped model's embedding in its place.
  const outside = run.wall - t.embedMs / 1000;
  const fp32 = await fp32ChunksPerSec();
  const fp32Total = outside + chunks / fp32.rate;
  const share = outside / fp32Total;
  const sec = (v: number) => (v / 1000).toFixed(1);
  print(
    `Ingest at scale: ${papers} synthetic abstracts, offline model (its embedding is near free, so the rest shows)`,
    table(
      ['papers', 'chunks', 'wall s', 'parse s', 'merge s', 'chunk s', 'embed s (offline)', 'index s (tables, BM25, HNSW)', 'write s', 'peak RSS MiB'],
      [[papers, chunks, run.wall, sec(t.parseMs), sec(t.mergeMs), sec(t.chunkMs), sec(t.embedMs), sec(t.indexMs), sec(t.writeMs), run.peak]],
    ) +
      `\n\nEverything that is not embedding took ${outside.toFixed(0)} s, including process start and model load. ` +
      `With the fp32 MiniLM-shaped model at ${fp32.rate.toFixed(1)} chunks/s (${fp32.from}), the same build would take about ${(fp32Total / 60).toFixed(0)} min, ` +
      `of which the part outside the model is ${(share * 100).toFixed(1)}% (target ≤ 25%).`,
  );
  report.scale = { papers, chunks, wallSeconds: run.wall, timingsMs: t, peakRssMiB: run.peak, outsideSeconds: outside, fp32ChunksPerSec: fp32.rate, fp32From: fp32.from, fp32ExtrapolatedSeconds: fp32Total, overheadShare: share };
}

// ------------------------------------------------------------------ 3c. a killed build, resumed

async function benchResume() {
  const papers = Number(flags['resume-papers']);
  await ensureMinilmShapedModel(MODELS, seedText());
  const file = path.join(WORK, `resume-${papers}.jsonl`);
  writeFileSync(file, syntheticAbstracts(papers, 13).map((p) => JSON.stringify(p)).join('\n'));
  const env = (dir: string) => ({ DATA_DIR: path.join(WORK, dir), EMBEDDING_MODEL: MINILM_SHAPED_NAME, EMBEDDING_MODEL_PATH: MODELS, ALLOW_REMOTE_MODELS: 'false' });
  for (const dir of ['resume-clean', 'resume-killed']) rmSync(path.join(WORK, dir), { recursive: true, force: true });
  const clean = await ingestJson([file], env('resume-clean'));
  // The same ingest, SIGKILLed once its checkpoint holds half the chunks; then run again.
  const total = clean.summary!.chunks.total;
  const checkpoints = path.join(WORK, 'resume-killed', 'checkpoints');
  let poll: NodeJS.Timeout | undefined;
  const killed = await ingestJson([file], env('resume-killed'), (_, child) => {
    poll ??= setInterval(() => {
      const f = existsSync(checkpoints) ? readdirSync(checkpoints).find((n) => n.endsWith('.vectors')) : undefined;
      if (f && statSync(path.join(checkpoints, f)).size / (16 + 384 * 4) >= total / 2) child.kill('SIGKILL');
    }, 20);
  });
  clearInterval(poll);
  const resumed = await ingestJson([file], env('resume-killed'));
  const r = resumed.summary!.chunks;
  print(
    `A build killed half-way and run again: ${papers} synthetic abstracts, MiniLM-shaped fp32 model`,
    table(
      ['run', 'chunks embedded', 'wall s'],
      [
        ['uninterrupted', clean.summary!.chunks.embedded, clean.wall],
        [`killed (SIGKILL once half the chunks were checkpointed; ${killed.signal ?? `exit ${killed.code}`})`, '—', killed.wall],
        [`rerun: resumed ${r.resumed} of ${r.resumed + r.embedded}`, r.embedded, resumed.wall],
      ],
    ) + `\n\nKilled plus rerun took ${((killed.wall + resumed.wall) / clean.wall).toFixed(2)}× the uninterrupted build; the rerun embedded ${((r.embedded / total) * 100).toFixed(0)}% of the chunks.`,
  );
  report.resume = { papers, chunks: total, cleanSeconds: clean.wall, killedSeconds: killed.wall, killedBy: killed.signal, resumedSeconds: resumed.wall, rerunEmbedded: r.embedded, rerunResumed: r.resumed };
}

// ------------------------------------------------------------------ 4. server under load

const QUESTIONS = [
  'Does peer support reduce self-stigma?',
  'What did patients say about residential alternatives to hospital?',
  'How do peer support specialist roles change over time?',
  'Does stigma among mental health service users improve over time?',
  'What are the benefits of combining online and offline peer support groups?',
  'What helped people in contact with secondary mental health services?',
  'How do children of parents with mental illness experience stigma?',
  'What do service users say about recovery and lived experience?',
];

async function load(url: string, bodies: string[], duration: number, connections: number) {
  const result = await autocannon({
    url,
    method: 'POST',
    connections,
    duration,
    headers: { 'content-type': 'application/json' },
    requests: bodies.map((body) => ({ method: 'POST', body })),
  });
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts + result.non2xx,
    total: result.requests.total,
  };
}

// Varied bodies: the question, k and filters rotate, so this is not one cached request repeated.
const ASK_BODIES = QUESTIONS.flatMap((question, i) => [
  JSON.stringify({ question, mode: 'extractive' }),
  JSON.stringify({ question, k: 4 + (i % 3), mode: 'extractive', filters: { yearFrom: 1995 + i } }),
]);

/** A server process on `env`, once /api/health says ready (or `waitMs` passed). */
async function startReadyServer(env: Record<string, string>, waitMs: number): Promise<{ server: ChildProcess; port: number }> {
  const server = spawnTsx('src/server/main.ts', [], env);
  server.stderr!.resume();
  const port = await waitForPort(server);
  for (const end = Date.now() + waitMs; Date.now() < end; ) {
    const h = await (await fetch(`http://127.0.0.1:${port}/api/health`)).json();
    if (h.status === 'ready') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return { server, port };
}

async function benchServer() {
  const papers = Number(flags['server-papers']);
  const dataDir = path.join(WORK, `server-${papers}`);
  await buildSyntheticIndex(dataDir, papers);
  const duration = Number(flags.duration);
  const connections = Number(flags.connections);
  const { server, port } = await startReadyServer({ DATA_DIR: dataDir, PORT: '0', EMBEDDING_MODEL: 'offline' }, 10_000);
  const bare = spawnTsx('bench/bare-server.ts', [], { PORT: '0' });
  const barePort = await waitForPort(bare);
  await load(`http://127.0.0.1:${port}/api/ask`, ASK_BODIES, 2, connections); // warm-up
  const ask = await load(`http://127.0.0.1:${port}/api/ask`, ASK_BODIES, duration, connections);
  const bareJson = await load(`http://127.0.0.1:${barePort}/json`, ASK_BODIES, duration, connections);
  const rss = memoryOf(server.pid!).rss;
  server.kill();
  bare.kill();
  print(
    `Server: ${connections} connections, ${duration} s each, POST /api/ask (extractive, offline model) over a ${papers}-paper index vs a bare Hono JSON route`,
    table(
      ['route', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'requests'],
      [
        ['POST /api/ask', ask.rps, ask.p50, ask.p99, ask.errors, ask.total],
        ['bare Hono JSON', bareJson.rps, bareJson.p50, bareJson.p99, bareJson.errors, bareJson.total],
      ],
    ) + `\n\n/api/ask throughput is ${((ask.rps / bareJson.rps) * 100).toFixed(1)}% of the bare route's; server RSS after the run ${rss.toFixed(0)} MiB.`,
  );
  report.server = { papers, connections, duration, ask, bare: bareJson, ratio: ask.rps / bareJson.rps, rssMiB: rss };
}

// ------------------------------------------------------------------ 5. cold start

async function benchCold() {
  const papers = Number(flags['cold-papers']);
  const dataDir = path.join(WORK, `cold-${papers}`);
  await buildSyntheticIndex(dataDir, papers);
  // The same server on the bundled corpus (9 papers): what Node, the loader, transformers.js and the
  // model cost before any index, so the index's own share of the memory can be read off.
  const baseline = await coldRun(path.join(WORK, 'cold-baseline'), true);
  const big = await coldRun(dataDir, false);
  const { corpus } = await openIndex(loadConfig({ DATA_DIR: dataDir, EMBEDDING_MODEL: 'offline' }));
  const vectorMiB = (corpus.chunkCount * corpus.manifest.embedding.dims * 4) / 2 ** 20;
  const textMiB = corpus.textBytes() / 2 ** 20;
  const indexMiB = big.rss - baseline.rss;
  print(
    `Cold start: ${papers}-paper index (${corpus.chunkCount} chunks, offline model), process start to first served /api/ask`,
    table(
      ['index', 'listening ms', 'first /api/ask ms', 'steady RSS MiB'],
      [
        [`${papers} papers`, big.listening, big.firstAnswer, big.rss],
        ['bundled corpus (9 papers): the baseline', baseline.listening, baseline.firstAnswer, baseline.rss],
      ],
    ) +
      `\n\nFirst answer ${(big.firstAnswer / 1000).toFixed(2)} s after process start (target ≤ 2 s: ${(big.firstAnswer / 2000).toFixed(2)} of it). ` +
      `The index adds ${indexMiB.toFixed(0)} MiB of RSS over the baseline, for ${vectorMiB.toFixed(1)} MiB of raw vectors and ${textMiB.toFixed(1)} MiB of title and abstract text: ` +
      `${(indexMiB / (vectorMiB + textMiB)).toFixed(2)}× their sum (target ≤ 2×); the whole process is ${(big.rss / (vectorMiB + textMiB)).toFixed(2)}×.`,
  );
  report.cold = { papers, chunks: corpus.chunkCount, ...big, baseline, vectorMiB, textMiB, indexMiB, indexRatio: indexMiB / (vectorMiB + textMiB), processRatio: big.rss / (vectorMiB + textMiB) };
}

/** Starts the server on a data dir, times the first answered /api/ask, then asks a few more and reads RSS. */
async function coldRun(dataDir: string, bundled: boolean): Promise<{ listening: number; firstAnswer: number; rss: number }> {
  if (bundled) {
    const cfg = loadConfig({ DATA_DIR: dataDir, EMBEDDING_MODEL: 'offline' });
    await ingestFiles({ config: cfg, files: [cfg.corpusPath], loaded: await loadEmbeddingModel(cfg), replace: true, progress: silentProgress });
  }
  const t0 = performance.now();
  const server = spawnTsx('src/server/main.ts', [], { DATA_DIR: dataDir, PORT: '0', EMBEDDING_MODEL: 'offline' });
  server.stderr!.resume();
  const port = await waitForPort(server);
  const listening = ms(t0);
  let firstAnswer = NaN;
  const ask = (question: string) => fetch(`http://127.0.0.1:${port}/api/ask`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ question }) });
  for (;;) {
    const res = await ask(QUESTIONS[0]);
    if (res.status === 200) {
      await res.json();
      firstAnswer = ms(t0);
      break;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  for (const q of QUESTIONS.concat(QUESTIONS)) await ask(q).then((r) => r.json());
  await new Promise((r) => setTimeout(r, 1000)); // let the heap settle
  const { rss } = memoryOf(server.pid!);
  server.kill();
  await exited(server);
  return { listening, firstAnswer, rss };
}

// ------------------------------------------------------------------ 6. Postgres beside the embedded store

/** Search latency (each half and the whole retrieval) and /api/ask throughput, both stores on the same papers, same run. */
async function benchPostgres() {
  const { startTestDatabase } = await import('../test/postgres-server.js');
  const { openStore } = await import('../src/store/index-store.js');
  const { Retriever } = await import('../src/retrieve/retriever.js');
  const db = process.env.DATABASE_URL ? null : await startTestDatabase();
  const url = process.env.DATABASE_URL ?? db!.url;
  const where = db ? 'PGlite 0.5 (PostgreSQL 18.6 in WebAssembly, one backend) + pgvector 0.8.7, on 127.0.0.1' : 'DATABASE_URL';
  const duration = Number(flags.duration);
  const connections = Number(flags.connections);
  const searchRows: Array<Array<string | number>> = [];
  const serverRows: Array<Array<string | number>> = [];
  const results: unknown[] = [];
  for (const target of list(flags['pg-chunks']!)) {
    const papers = Math.round(target / 5); // about five chunks per synthetic abstract
    const file = path.join(WORK, `pg-${papers}.jsonl`);
    writeFileSync(file, syntheticAbstracts(papers, 11).map((p) => JSON.stringify(p)).join('\n'));
    const envs = {
      embedded: { DATA_DIR: path.join(WORK, `pg-files-${papers}`), EMBEDDING_MODEL: 'offline' },
      postgres: { DATA_DIR: path.join(WORK, `pg-cache-${papers}`), EMBEDDING_MODEL: 'offline', DATABASE_URL: url, DATABASE_SCHEMA: `bench_${papers}` },
    };
    const row: Record<string, { write: number; vector: number[]; lexical: number[]; retrieve: number[]; chunks: number }> = {};
    for (const [name, env] of Object.entries(envs)) {
      const cfg = loadConfig(env);
      const loaded = await loadEmbeddingModel(cfg);
      const t0 = performance.now();
      await ingestFiles({ config: cfg, files: [file], loaded, replace: true, progress: silentProgress });
      const write = ms(t0) / 1000;
      const store = await openStore(cfg);
      const index = await store.open();
      const retriever = new Retriever(index, loaded.embeddings);
      const queries = Array.from({ length: Number(flags.queries) }, (_, i) => `${QUESTIONS[i % QUESTIONS.length]} ${seedWords[(i * 13) % seedWords.length]}`);
      const timing = { write, vector: [] as number[], lexical: [] as number[], retrieve: [] as number[], chunks: index.corpus.chunkCount };
      for (const [i, q] of queries.entries()) {
        const filters = i % 2 ? { yearFrom: 1995 + (i % 20) } : undefined;
        const v = await retriever.embedQuery(q);
        let t = performance.now();
        await index.vectors.search(v, 50, filters);
        timing.vector.push(ms(t));
        t = performance.now();
        await index.lexical.search(q, 50, filters);
        timing.lexical.push(ms(t));
        t = performance.now();
        await retriever.retrieve(q, { k: 6, filters });
        timing.retrieve.push(ms(t));
      }
      row[name] = timing;
      await store.close();
    }
    const p50 = (xs: number[]) => percentile(xs, 50);
    const e = row.embedded;
    const g = row.postgres;
    for (const [name, t] of Object.entries(row)) {
      searchRows.push([t.chunks, name, t.write, p50(t.vector), percentile(t.vector, 95), p50(t.lexical), percentile(t.lexical, 95), p50(t.retrieve), percentile(t.retrieve, 95)]);
    }
    searchRows.push([g.chunks, 'postgres ÷ embedded', `${(g.write / e.write).toFixed(1)}×`, `${(p50(g.vector) / p50(e.vector)).toFixed(1)}×`, '', `${(p50(g.lexical) / p50(e.lexical)).toFixed(1)}×`, '', `${(p50(g.retrieve) / p50(e.retrieve)).toFixed(1)}×`, '']);

    // /api/ask under load, one server process per store, same papers.
    const asks: Record<string, Awaited<ReturnType<typeof load>> & { rss: number }> = {};
    for (const [name, env] of Object.entries(envs)) {
      const { server, port } = await startReadyServer({ ...env, PORT: '0', INDEX_POLL_MS: '1000' }, 60_000);
      await load(`http://127.0.0.1:${port}/api/ask`, ASK_BODIES, 2, connections); // warm-up
      asks[name] = { ...(await load(`http://127.0.0.1:${port}/api/ask`, ASK_BODIES, duration, connections)), rss: memoryOf(server.pid!).rss };
      server.kill();
      await exited(server);
    }
    for (const [name, a] of Object.entries(asks)) serverRows.push([g.chunks, name, a.rps, a.p50, a.p99, a.errors, a.rss]);
    serverRows.push([g.chunks, 'postgres ÷ embedded', `${(asks.postgres.rps / asks.embedded.rps).toFixed(2)}×`, '', '', '', `${(asks.postgres.rss / asks.embedded.rss).toFixed(2)}×`]);
    results.push({ chunks: g.chunks, papers, search: row, ask: asks });
  }
  // What pgvector's HNSW costs per vector at MiniLM's 384 dims, for sizing a deployment.
  const sizing = await hnswSizing(url, Number(flags['pg-sizing-vectors']));
  await db?.stop();
  print(
    `pgvector HNSW size at 384 dims (M=${config.hnsw.m}, ef_construction=${config.hnsw.efConstruction}), ${sizing.vectors} embedding-like vectors`,
    table(
      ['vectors', 'table MiB', 'HNSW index MiB', 'index bytes/vector', 'index GiB per million', 'index build s'],
      [[sizing.vectors, sizing.tableMiB, sizing.indexMiB, sizing.bytesPerVector, (sizing.bytesPerVector * 1e6) / 2 ** 30, sizing.buildSeconds]],
    ),
  );
  report.postgresSizing = sizing;
  print(
    `Postgres (${where}) beside the embedded store: the same synthetic papers, offline model, ${flags.queries} queries (half with a year filter), k = 50 per search`,
    table(['chunks', 'store', 'ingest s', 'vector p50 ms', 'vector p95 ms', 'BM25 p50 ms', 'BM25 p95 ms', 'retrieve p50 ms', 'retrieve p95 ms'], searchRows),
  );
  print(
    `POST /api/ask under load: ${connections} connections, ${duration} s, one server process per store`,
    table(['chunks', 'store', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'server RSS MiB'], serverRows),
  );
  report.postgres = { where, results };
}

async function hnswSizing(url: string, n: number) {
  const pg = (await import('pg')).default;
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  const dims = 384;
  const vectors = embeddingLikeVectors(n, dims, 5);
  await pool.query('CREATE EXTENSION IF NOT EXISTS vector; DROP TABLE IF EXISTS bench_sizing; CREATE TABLE bench_sizing (row integer PRIMARY KEY, embedding vector(384) NOT NULL)');
  for (let i = 0; i < n; i += 1000) {
    const rows = Array.from({ length: Math.min(1000, n - i) }, (_, j) => i + j);
    await pool.query('INSERT INTO bench_sizing SELECT r, e::vector FROM unnest($1::int[], $2::text[]) AS u(r, e)', [rows, rows.map((r) => `[${Array.from(vectors.subarray(r * dims, (r + 1) * dims)).join(',')}]`)]);
  }
  await pool.query(`SET maintenance_work_mem = '512MB'`);
  const t0 = performance.now();
  await pool.query(`CREATE INDEX bench_sizing_hnsw ON bench_sizing USING hnsw (embedding vector_cosine_ops) WITH (m = ${config.hnsw.m}, ef_construction = ${config.hnsw.efConstruction})`);
  const buildSeconds = ms(t0) / 1000;
  const { rows } = await pool.query<{ t: string; i: string }>(`SELECT pg_table_size('bench_sizing') AS t, pg_relation_size('bench_sizing_hnsw') AS i`);
  await pool.query('DROP TABLE bench_sizing');
  await pool.end();
  const index = Number(rows[0].i);
  return { vectors: n, tableMiB: Number(rows[0].t) / 2 ** 20, indexMiB: index / 2 ** 20, bytesPerVector: index / n, buildSeconds };
}

// ------------------------------------------------------------------ run

// Each section runs in its own process: models and sessions left by one (ONNX Runtime's spinning
// thread pools, a heap holding 100k vectors) must not slow the next.
const ORDER = ['embed', 'search', 'ingest', 'scale', 'resume', 'server', 'cold', 'postgres'];
const runners: Record<string, () => Promise<void>> = { search: benchSearch, embed: benchEmbed, ingest: benchIngest, scale: benchScale, resume: benchResume, server: benchServer, cold: benchCold, postgres: benchPostgres };
const childArgs = process.argv.slice(2).filter((a, i, all) => a !== '--only' && all[i - 1] !== '--only' && !a.startsWith('--only='));

if (process.env.BENCH_SECTION) {
  const name = process.env.BENCH_SECTION;
  await runners[name]();
  writeFileSync(path.join(WORK, `section-${name}.json`), JSON.stringify({ report, markdown }));
  process.exit(0);
}

console.log(`Benchmarks on ${JSON.stringify(report.machine)}`);
// A section may use an earlier one's figures, but only from this run.
for (const f of readdirSync(WORK)) if (/^section-.*\.json$/.test(f)) rmSync(path.join(WORK, f));
for (const name of ORDER) {
  if (!sections.has(name)) continue;
  const t0 = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'bench', 'run.ts'), ...childArgs], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, BENCH_SECTION: name },
    stdio: 'inherit',
  });
  const code = await exited(child);
  if (code !== 0) throw new Error(`benchmark section ${name} failed (exit ${code})`);
  const part = JSON.parse(readFileSync(path.join(WORK, `section-${name}.json`), 'utf8')) as { report: Record<string, unknown>; markdown: string[] };
  for (const [k, v] of Object.entries(part.report)) if (k !== 'machine' && k !== 'startedAt') report[k] = v;
  markdown.push(...part.markdown);
  console.log(`(${name}: ${(ms(t0) / 1000).toFixed(0)} s)`);
}
report.finishedAt = new Date().toISOString();
const header = `Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}. Command: npm run bench${process.argv.slice(2).length ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
writeFileSync(path.join(RESULTS, 'latest.json'), JSON.stringify(report, null, 2));
writeFileSync(path.join(RESULTS, `bench-${report.startedAt as string}.json`.replace(/:/g, '-')), JSON.stringify(report, null, 2));
writeFileSync(path.join(RESULTS, 'latest.md'), `${header}\n\n${markdown.join('\n\n')}\n`);
console.log(`\n${header}\nWritten to bench/results/latest.json and latest.md`);
process.exit(0);
