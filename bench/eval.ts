// `npm run eval`: answer and retrieval quality on the labelled questions in test/eval/, and with
// `--beir <dir>` nDCG@10 / recall@100 on a BEIR dataset (SciFact), beside the published figures.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { BUNDLED_CORPUS, loadConfig, PROJECT_ROOT, type Config } from '../src/config.js';
import { loadEmbeddingModel, type LoadedEmbeddings } from '../src/embeddings/load-embedding-model.js';
import { buildVectorStore, CHUNKER_VERSION, type StoredIndex } from '../src/store/index-store.js';
import { Retriever, type RetrievalMode } from '../src/retrieve/retriever.js';
import { AnswerService, type AnswerMode } from '../src/answer/answer-service.js';
import { chunkPaper } from '../ingest/chunk-abstract.js';
import { normalisePaper } from '../ingest/normalise-paper.js';
import { parseSource } from '../ingest/parse-source.js';
import type { Paper } from '../src/types.js';
import { mean, ndcgAtK, percentile, recallAtK, reciprocalRank, table } from './metrics.js';

const HELP = `Usage: npm run eval -- [--beir <dir>] [--beir-only] [--limit <n>]

Runs the labelled questions in test/eval/questions.json against the bundled corpus with every
answerer available (extractive; LLM when LLM_BASE_URL and LLM_MODEL are set), with a retrieval
ablation (dense only, BM25 only, fused). With --beir it also ingests a BEIR dataset (corpus.jsonl,
queries.jsonl, qrels/train.tsv, qrels/test.tsv) into a temporary index, tunes the fusion weight on
train and reports nDCG@10 and recall@100 on test.

The embedding model is the offline one unless EMBEDDING_MODEL names another (used when available).
  --limit <n>   use only the first n BEIR test queries (quick runs)`;

const { values: flags } = parseArgs({
  options: {
    beir: { type: 'string' },
    'beir-only': { type: 'boolean', default: false },
    limit: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (flags.help) {
  console.log(HELP);
  process.exit(0);
}

const RESULTS = path.join(PROJECT_ROOT, 'bench', 'results');
mkdirSync(RESULTS, { recursive: true });
const markdown: string[] = [];
const report: Record<string, unknown> = { startedAt: new Date().toISOString() };
const print = (title: string, body: string) => {
  console.log(`\n## ${title}\n\n${body}`);
  markdown.push(`### ${title}\n\n${body}`);
};

const config = loadConfig({ ...process.env, EMBEDDING_MODEL: process.env.EMBEDDING_MODEL ?? 'offline', DATA_DIR: path.join(RESULTS, 'eval-data') });

/** An index held in memory: the same parts as on disk, without the disk. */
async function memoryIndex(papers: Paper[], cfg: Config, loaded: LoadedEmbeddings): Promise<StoredIndex> {
  const chunks = papers.flatMap((p) => chunkPaper(p, cfg.chunking));
  const dims = loaded.info.dims;
  const vectors = new Float32Array(chunks.length * dims);
  const embedded = await loaded.embeddings.embedRaw(chunks.map((c) => loaded.info.documentPrefix + c.text));
  embedded.forEach((v, i) => vectors.set(v, i * dims));
  const store = buildVectorStore(loaded.embeddings, chunks, vectors, dims, cfg.hnsw);
  const withText = papers.filter((p) => p.hasText).length;
  return {
    manifest: {
      formatVersion: 1,
      buildId: 'eval',
      builtAt: new Date().toISOString(),
      buildMs: 0,
      embedding: { modelId: loaded.info.modelId, dims, pooling: loaded.info.pooling, queryPrefix: loaded.info.queryPrefix, documentPrefix: loaded.info.documentPrefix },
      chunking: { chunker: CHUNKER_VERSION, ...cfg.chunking },
      hnsw: { m: cfg.hnsw.m, efConstruction: cfg.hnsw.efConstruction },
      corpusFingerprint: '',
      sources: [],
      counts: { papers: papers.length, papersWithText: withText, papersWithoutText: papers.length - withText, chunks: chunks.length },
    },
    papers,
    chunks,
    vectors,
    store,
  };
}

interface EvalQuestion {
  id: string;
  question: string;
  expected: string[];
  keyFacts: string[];
}

async function evalBundled(loaded: LoadedEmbeddings) {
  const set = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'test', 'eval', 'questions.json'), 'utf8')) as { questions: EvalQuestion[] };
  const papers = parseSource(BUNDLED_CORPUS, readFileSync(BUNDLED_CORPUS, 'utf8')).papers.map((r) => normalisePaper(r, 'seed-abstracts.txt').paper);
  const byLabel = new Map(papers.map((p) => [p.label, p.id]));
  const questions = set.questions.map((q) => ({
    ...q,
    expectedIds: new Set(
      q.expected.map((label) => {
        const id = byLabel.get(label);
        if (!id) throw new Error(`test/eval/questions.json ${q.id}: no paper labelled "${label}"`);
        return id;
      }),
    ),
  }));
  const answerable = questions.filter((q) => q.expectedIds.size > 0);
  const unanswerable = questions.filter((q) => q.expectedIds.size === 0);
  const index = await memoryIndex(papers, config, loaded);
  const retriever = new Retriever(index, loaded.embeddings);

  // Retrieval ablation
  const ablation: Array<Array<string | number>> = [];
  const retrieval: Record<string, unknown> = {};
  for (const mode of ['dense', 'lexical', 'fused'] as RetrievalMode[]) {
    const recalls: number[] = [];
    const rrs: number[] = [];
    for (const q of answerable) {
      const ranking = (await retriever.retrieve(q.question, { k: 10, mode })).map((r) => r.paper.id);
      recalls.push(recallAtK(ranking, q.expectedIds, 5));
      rrs.push(reciprocalRank(ranking, q.expectedIds));
    }
    ablation.push([mode === 'lexical' ? 'BM25 only' : mode === 'dense' ? 'dense only' : 'fused (RRF)', mean(recalls), mean(rrs)]);
    retrieval[mode] = { recallAt5: mean(recalls), mrr: mean(rrs) };
  }
  print(`Retrieval on the bundled corpus: ${answerable.length} answerable questions, embedding model ${loaded.info.modelId}`, table(['retrieval', 'recall@5', 'MRR'], ablation));

  // Answerers
  const modes: AnswerMode[] = config.llm ? ['extractive', 'llm'] : ['extractive'];
  const rows: Array<Array<string | number>> = [];
  const answers: Record<string, unknown> = {};
  const misses: string[] = [];
  for (const mode of modes) {
    const service = new AnswerService({ config, retriever });
    let citingExpected = 0;
    let falseRefusals = 0;
    let citations = 0;
    let supported = 0;
    let facts = 0;
    let factsFound = 0;
    const latencies: number[] = [];
    for (const q of answerable) {
      const t0 = performance.now();
      const result = await service.ask({ question: q.question, mode });
      latencies.push(performance.now() - t0);
      if (!result.answerable) falseRefusals++;
      const cited = new Set(result.citations.map((c) => c.paperId));
      if ([...q.expectedIds].some((id) => cited.has(id))) citingExpected++;
      else misses.push(`${mode} ${q.id}: cited ${[...cited].map((id) => retriever.papers.get(id)?.label).join('; ') || 'nothing'}`);
      for (const c of result.citations) {
        citations++;
        const abstract = retriever.papers.get(c.paperId)?.abstract ?? '';
        if (c.supported && c.quote && abstract.slice(c.quoteStart!, c.quoteEnd!) === c.quote) supported++;
      }
      for (const f of q.keyFacts) {
        facts++;
        if (result.answer.toLowerCase().includes(f.toLowerCase())) factsFound++;
      }
    }
    let refused = 0;
    for (const q of unanswerable) {
      const t0 = performance.now();
      const result = await service.ask({ question: q.question, mode });
      latencies.push(performance.now() - t0);
      if (!result.answerable && result.citations.length === 0) refused++;
      else misses.push(`${mode} ${q.id}: answered an unanswerable question`);
    }
    const row = {
      citingExpected: citingExpected / answerable.length,
      supportRate: citations ? supported / citations : NaN,
      keyFactRecall: facts ? factsFound / facts : NaN,
      refusalAccuracy: refused / unanswerable.length,
      falseRefusalRate: falseRefusals / answerable.length,
      p50ms: percentile(latencies, 50),
      p95ms: percentile(latencies, 95),
    };
    answers[mode] = row;
    rows.push([mode, row.citingExpected, row.supportRate, row.keyFactRecall, row.refusalAccuracy, row.falseRefusalRate, row.p50ms, row.p95ms]);
  }
  print(
    `Answers on the bundled corpus: ${answerable.length} answerable and ${unanswerable.length} unanswerable questions`,
    table(['answerer', 'cites an expected paper', 'citation support rate', 'key facts stated', 'refusal accuracy', 'false refusals', 'p50 ms', 'p95 ms'], rows) +
      (misses.length ? `\n\nMisses: ${misses.join(' · ')}` : ''),
  );
  report.bundled = { model: loaded.info.modelId, retrieval, answers, misses };
}

// ------------------------------------------------------------------ BEIR

function readQrels(file: string): Map<string, Map<string, number>> {
  const qrels = new Map<string, Map<string, number>>();
  readFileSync(file, 'utf8')
    .split('\n')
    .slice(1)
    .filter((l) => l.trim())
    .forEach((line) => {
      const [qid, docId, score] = line.split('\t');
      if (!qrels.has(qid)) qrels.set(qid, new Map());
      if (Number(score) > 0) qrels.get(qid)!.set(docId, Number(score));
    });
  return qrels;
}

async function evalBeir(dir: string, loaded: LoadedEmbeddings) {
  for (const f of ['corpus.jsonl', 'queries.jsonl', 'qrels/test.tsv']) if (!existsSync(path.join(dir, f))) throw new Error(`${dir} is not a BEIR dataset: ${f} is missing`);
  const t0 = performance.now();
  const papers: Paper[] = readFileSync(path.join(dir, 'corpus.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((line) => {
      const doc = JSON.parse(line) as { _id: string; title?: string; text?: string };
      const { paper } = normalisePaper({ title: doc.title || null, abstract: doc.text || null }, 'corpus.jsonl');
      return { ...paper, id: doc._id };
    });
  const queries = new Map(
    readFileSync(path.join(dir, 'queries.jsonl'), 'utf8')
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as { _id: string; text: string })
      .map((q) => [q._id, q.text]),
  );
  const index = await memoryIndex(papers, config, loaded);
  const buildSeconds = (performance.now() - t0) / 1000;
  const retriever = new Retriever(index, loaded.embeddings);

  const run = async (qrels: Map<string, Map<string, number>>, mode: RetrievalMode, denseWeight = 1, limit = Infinity) => {
    const ndcg: number[] = [];
    const recall: number[] = [];
    let n = 0;
    for (const [qid, rel] of qrels) {
      if (n++ >= limit) break;
      const text = queries.get(qid);
      if (!text || rel.size === 0) continue;
      const ranking = (await retriever.retrieve(text, { k: 100, mode, denseWeight, passagesPerPaper: 1 })).map((r) => r.paper.id);
      ndcg.push(ndcgAtK(ranking, rel, 10));
      recall.push(recallAtK(ranking, new Set(rel.keys()), 100));
    }
    return { ndcg10: mean(ndcg), recall100: mean(recall), queries: ndcg.length };
  };

  // Tune the fusion weight on train; report test.
  const train = existsSync(path.join(dir, 'qrels/train.tsv')) ? readQrels(path.join(dir, 'qrels/train.tsv')) : null;
  const tuning: Array<Array<string | number>> = [];
  let bestWeight = 1;
  if (train) {
    let best = -1;
    for (const w of [0.1, 0.25, 0.5, 1, 2]) {
      const r = await run(train, 'fused', w);
      tuning.push([w, r.ndcg10, r.recall100]);
      if (r.ndcg10 > best) (best = r.ndcg10), (bestWeight = w);
    }
  }
  const test = readQrels(path.join(dir, 'qrels/test.tsv'));
  const limit = flags.limit ? Number(flags.limit) : Infinity;
  const bm25 = await run(test, 'lexical', 1, limit);
  const dense = await run(test, 'dense', 1, limit);
  const fused = await run(test, 'fused', bestWeight, limit);
  const name = path.basename(path.resolve(dir));
  const published = name.toLowerCase().includes('scifact') ? { bm25: 0.665, minilm: 0.645, bge: 0.713 } : null;
  print(
    `BEIR ${name}: ${papers.length} documents, ${fused.queries} test queries, embedding model ${loaded.info.modelId}${loaded.info.offline ? ' (offline model: dense here is close to keyword matching)' : ''}`,
    table(
      ['retrieval', 'nDCG@10 (test)', 'recall@100 (test)'],
      [
        ['BM25 only (ours: chunks, grouped by paper)', bm25.ndcg10, bm25.recall100],
        [`dense only (${loaded.info.modelId})`, dense.ndcg10, dense.recall100],
        [`fused, RRF with dense weight ${bestWeight} (tuned on train)`, fused.ndcg10, fused.recall100],
        ...(published
          ? [
              ['published: BM25 (BEIR paper)', published.bm25, '—'],
              ['published: all-MiniLM-L6-v2', published.minilm, '—'],
              ['published: bge-small-en-v1.5', published.bge, '—'],
            ]
          : []),
      ],
    ) +
      (tuning.length ? `\n\nTuning on train (${train!.size} queries), fused nDCG@10 by dense weight:\n\n${table(['dense weight', 'nDCG@10 (train)', 'recall@100 (train)'], tuning)}` : '') +
      `\n\nIndex built in memory in ${buildSeconds.toFixed(1)} s (${index.chunks.length} chunks).`,
  );
  report.beir = { dataset: name, documents: papers.length, model: loaded.info.modelId, bm25, dense, fused, denseWeight: bestWeight, tuning, published };
}

// ------------------------------------------------------------------ run

const loaded = await loadEmbeddingModel(config, { warn: (m) => console.warn(m) });
console.log(`Embedding model: ${loaded.info.modelId}${loaded.info.offline ? ' (the offline model)' : ''}${loaded.info.fallbackReason ? ` — ${loaded.info.wanted} unavailable: ${loaded.info.fallbackReason}` : ''}`);
if (!flags['beir-only']) await evalBundled(loaded);
if (flags.beir) await evalBeir(flags.beir, loaded);
const header = `Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'CPU'}, Node ${process.version}. Command: npm run eval${process.argv.slice(2).length ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
writeFileSync(path.join(RESULTS, 'eval-latest.json'), JSON.stringify(report, null, 2));
writeFileSync(path.join(RESULTS, 'eval-latest.md'), `${header}\n\n${markdown.join('\n\n')}\n`);
console.log(`\n${header}\nWritten to bench/results/eval-latest.json and eval-latest.md`);
process.exit(0);
