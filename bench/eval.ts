// `npm run eval`: answer and retrieval quality, each figure on data its parameters were not fitted
// on. The bundled corpus's labelled questions and the issue's examples always; with the shared
// datasets present, PubMedQA (test half), SciFact (test claims), cross-corpus negatives and the
// hand-written near-misses and paraphrases; `--calibrate` first refits src/answer/calibration.json
// on the fit halves; `--beir <dir>` adds nDCG@10 / recall@100 on a BEIR dataset.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig, PROJECT_ROOT } from '../src/config.js';
import { loadEmbeddingModel, type LoadedEmbeddings } from '../src/embeddings/load-embedding-model.js';
import type { RetrievalMode } from '../src/retrieve/retriever.js';
import type { AnswerMode } from '../src/answer/answer-service.js';
import type { Calibration } from '../src/answer/calibration.js';
import { normalisePaper } from '../ingest/normalise-paper.js';
import type { Paper } from '../src/types.js';
import { mean, ndcgAtK, percentile, recallAtK, reciprocalRank, table } from './metrics.js';
import { buildCorpus, serviceFor, type EvalCorpus } from './eval/corpora.js';
import { loadBundled, loadPubmedQa, loadScifact, loadWrittenSet, resolveRefs, SHARED_DATASETS, QUESTION_SETS } from './eval/datasets.js';
import { calibrate } from './eval/calibrate.js';
import { postgresEval } from './eval/postgres-backend.js';
import { checkWhyExample, loadWhyExamples, resolveHistory, type WhyExample } from './eval/why-examples.js';
import { pubmedQaReport, refusalReport, riskCoverage, scifactReport, writtenReport, type Outcome } from './eval/answer-quality.js';
import { agreementReport, loadSummaryTopics, topicOutcomes, topicRow, TOPIC_COLUMNS, type TopicOutcome } from './eval/summary-quality.js';

const HELP = `Usage: npm run eval -- [--calibrate] [--dev] [--no-datasets] [--beir <dir> [--postgres]] [--beir-only] [--limit <n>]

Always: the labelled questions in test/eval/questions.json and the examples in
test/eval/why-examples.json over the bundled corpus, with a retrieval ablation, and cited
summaries on the topics and agreement labels in test/eval/summary-topics.json.
With ../shared/datasets present: PubMedQA (test half), SciFact (test claims with rationales),
cross-corpus negatives, and the hand-written near-misses and paraphrases (their test lists).
  --calibrate    first refit the answer layer on the fit halves (PubMedQA fit, SciFact train,
                 synthetic near-misses) and write src/answer/calibration.json
  --dev          also run the near-miss and paraphrase dev lists (for development; not reported)
  --no-datasets  skip the shared datasets (bundled corpus only)
  --beir <dir>   also ingest a BEIR dataset and report nDCG@10 / recall@100, fusion tuned on train
  --postgres     with --beir: also write the same build into Postgres (DATABASE_URL, or a PGlite
                 started for the run) and report its figures beside the embedded store's, with
                 Postgres full text search (tsvector, ts_rank) as a lexical alternative
  --limit <n>    use only the first n BEIR test queries (quick runs)

The embedding model is the offline one unless EMBEDDING_MODEL names another (used when available).`;

const { values: flags } = parseArgs({
  options: {
    calibrate: { type: 'boolean', default: false },
    dev: { type: 'boolean', default: false },
    'no-datasets': { type: 'boolean', default: false },
    beir: { type: 'string' },
    'beir-only': { type: 'boolean', default: false },
    postgres: { type: 'boolean', default: false },
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
const log = (line: string) => console.error(line);

const config = loadConfig({ ...process.env, EMBEDDING_MODEL: process.env.EMBEDDING_MODEL ?? 'offline', DATA_DIR: path.join(RESULTS, 'eval-data') });

// ------------------------------------------------------------------ bundled corpus

interface LabelledQuestion {
  id: string;
  question: string;
  expected: string[];
  keyFacts: string[];
}

async function evalBundled(bundled: EvalCorpus, calibration: Calibration | undefined, loaded: LoadedEmbeddings) {
  const set = JSON.parse(readFileSync(path.join(QUESTION_SETS, 'questions.json'), 'utf8')) as { questions: LabelledQuestion[] };
  const questions = set.questions.map((q) => ({ ...q, expectedIds: resolveRefs(q.expected, bundled.papers, `questions.json ${q.id}`) }));
  const answerable = questions.filter((q) => q.expectedIds.size > 0);
  const unanswerable = questions.filter((q) => q.expectedIds.size === 0);

  const ablation: Array<Array<string | number>> = [];
  const retrieval: Record<string, unknown> = {};
  for (const mode of ['dense', 'lexical', 'fused'] as RetrievalMode[]) {
    const recalls: number[] = [];
    const rrs: number[] = [];
    for (const q of answerable) {
      const ranking = (await bundled.retriever.retrieve(q.question, { k: 10, mode })).map((r) => r.paper.id);
      recalls.push(recallAtK(ranking, q.expectedIds, 5));
      rrs.push(reciprocalRank(ranking, q.expectedIds));
    }
    ablation.push([mode === 'lexical' ? 'BM25 only' : mode === 'dense' ? 'dense only' : 'fused (RRF)', mean(recalls), mean(rrs)]);
    retrieval[mode] = { recallAt5: mean(recalls), mrr: mean(rrs) };
  }
  print(`Retrieval on the bundled corpus: ${answerable.length} answerable questions, embedding model ${loaded.info.modelId}`, table(['retrieval', 'recall@5', 'MRR'], ablation));

  const modes: AnswerMode[] = config.llm ? ['extractive', 'llm'] : ['extractive'];
  const rows: Array<Array<string | number>> = [];
  const answers: Record<string, unknown> = {};
  const misses: string[] = [];
  for (const mode of modes) {
    const service = serviceFor(bundled, calibration);
    let citingExpected = 0;
    let onlyExpected = 0;
    let falseRefusals = 0;
    let facts = 0;
    let factsFound = 0;
    const latencies: number[] = [];
    for (const q of answerable) {
      const t0 = performance.now();
      const result = await service.ask({ question: q.question, mode });
      latencies.push(performance.now() - t0);
      if (!result.answerable) falseRefusals++;
      const cited = result.citations.map((c) => c.paperId);
      if (cited.some((id) => q.expectedIds.has(id))) citingExpected++;
      else misses.push(`${mode} ${q.id}: cited ${cited.map((id) => bundled.byId.get(id)?.label).join('; ') || 'nothing'}`);
      if (cited.length && cited.every((id) => q.expectedIds.has(id))) onlyExpected++;
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
      onlyExpected: onlyExpected / answerable.length,
      keyFactRecall: facts ? factsFound / facts : NaN,
      refusalAccuracy: refused / unanswerable.length,
      falseRefusalRate: falseRefusals / answerable.length,
      p50ms: percentile(latencies, 50),
      p95ms: percentile(latencies, 95),
    };
    answers[mode] = row;
    rows.push([mode, row.citingExpected, row.onlyExpected, row.keyFactRecall, row.refusalAccuracy, row.falseRefusalRate, row.p50ms, row.p95ms]);
  }
  print(
    `Answers on the bundled corpus: ${answerable.length} answerable and ${unanswerable.length} unanswerable labelled questions`,
    table(['answerer', 'cites an expected paper', 'cites only expected papers', 'key facts stated', 'refusal accuracy', 'false refusals', 'p50 ms', 'p95 ms'], rows) +
      (misses.length ? `\n\nMisses: ${misses.join(' · ')}` : ''),
  );
  report.bundled = { model: loaded.info.modelId, retrieval, answers, misses };
}

async function evalWhyExamples(bundled: EvalCorpus, calibration: Calibration | undefined) {
  const examples: WhyExample[] = loadWhyExamples();
  const service = serviceFor(bundled, calibration);
  const rows: string[][] = [];
  for (const ex of examples) {
    const history = resolveHistory(ex, bundled.papers);
    const result = await service.ask({ question: ex.question, history });
    const problem = checkWhyExample(ex, result, bundled.papers);
    rows.push([ex.id, ex.question, problem ? `✗ ${problem}` : '✓']);
  }
  print(`The answer-trust issue's examples, over the bundled corpus: ${rows.filter((r) => r[2] === '✓').length} of ${rows.length} right`, table(['id', 'question', 'result'], rows));
  report.why = rows;
}

// ------------------------------------------------------------------ shared datasets

/** Cited summaries over the bundled corpus: topical precision and coverage by split, and agreement labels. */
async function evalSummaries(bundled: EvalCorpus, calibration: Calibration | undefined, scifactTopics?: TopicOutcome[]) {
  const spec = loadSummaryTopics();
  const idOf = new Map(bundled.papers.map((p) => [p.label, p.id]));
  const rows: Array<Array<string | number>> = [];
  const results: Record<string, unknown> = {};
  const splitNames = {
    test: 'bundled corpus, test topics',
    seen: 'bundled corpus, first test topics (seen; looked at like dev)',
    dev: 'bundled corpus, dev topics (looked at while choosing the cut-offs)',
  } as const;
  for (const split of ['test', 'seen', 'dev'] as const) {
    const topics = spec.topics.filter((t) => t.split === split).map((t) => ({ id: t.id, topic: t.topic, relevant: new Set(t.relevant.map((l) => idOf.get(l)!)) }));
    const outcomes = await topicOutcomes(bundled, topics, calibration);
    rows.push(topicRow(splitNames[split], outcomes));
    results[split] = outcomes;
  }
  if (scifactTopics) rows.push(topicRow('SciFact test claims as topics (qrels judge 1–2 papers each: a floor)', scifactTopics));
  const agreement = await agreementReport(bundled, spec.agreement, calibration);
  print(
    'Cited summaries: topical precision and coverage (POST /api/summarize, extractive)',
    table(TOPIC_COLUMNS, rows) +
      `\n\nTopical precision is the share of cited sentences that come from a paper labelled relevant to the topic; a topic with fewer than two papers on it is answered instead, and those answers' sentences count too.`,
  );
  print(
    `Summary agreement, on the labelled items in test/eval/summary-topics.json: labels right ${agreement.labels.right} of ${agreement.labels.n}, main findings right ${agreement.findings.right} of ${agreement.findings.n}`,
    agreement.body,
  );
  report.summaries = { topics: results, scifact: scifactTopics, agreement: { labels: agreement.labels, findings: agreement.findings } };
}

async function evalDatasets(bundled: EvalCorpus, loaded: LoadedEmbeddings) {
  const t0 = performance.now();
  const pqa = loadPubmedQa();
  const sf = loadScifact();
  const pubmedqa = await buildCorpus('PubMedQA', pqa.papers, config, loaded);
  const scifact = await buildCorpus('SciFact', sf.papers, config, loaded);
  log(`indexes built in ${((performance.now() - t0) / 1000).toFixed(1)} s (${pubmedqa.corpus.chunkCount} + ${scifact.corpus.chunkCount} chunks)`);

  let calibration: Calibration | undefined;
  if (flags.calibrate) {
    const fitted = await calibrate({ pubmedqa, pubmedqaItems: pqa.items, scifact, claims: sf.claims, bundled, embeddingModel: loaded.info.modelId }, log);
    calibration = fitted.calibration;
    for (const [title, body] of fitted.sections) print(title, body);
    log('calibrate: wrote src/answer/calibration.json');
  }
  const chosen = (calibration ?? serviceFor(bundled).calibration).answerability.threshold;

  const pq = await pubmedQaReport(pubmedqa, pqa.items, calibration);
  print(`PubMedQA, test half: ${pq.row.questions} expert-labelled questions over ${pqa.papers.length} abstracts (indexed without titles or conclusions)`, pq.body);
  const sc = await scifactReport(scifact, sf.claims, calibration);
  print(`SciFact, test claims: over ${sf.papers.length} abstracts`, sc.body);
  scifactSummaryTopics = await topicOutcomes(
    scifact,
    sf.claims.filter((c) => c.split === 'test').map((c) => ({ id: c.id, topic: c.text, relevant: c.relevant })),
    calibration,
  );

  const crossPqa = await refusalReport('cross-corpus: PubMedQA test', bundled, pqa.items.filter((i) => i.split === 'test').map((i) => i.question), calibration);
  const crossSf = await refusalReport('cross-corpus: SciFact test', bundled, sf.claims.filter((c) => c.split === 'test').map((c) => c.text), calibration);
  const corpora = { bundled, pubmedqa };
  const nearMisses = loadWrittenSet('near-misses');
  const paraphrases = loadWrittenSet('paraphrases');
  const nm = await writtenReport(nearMisses.filter((q) => q.split === 'test'), corpora, calibration);
  const pp = await writtenReport(paraphrases.filter((q) => q.split === 'test'), corpora, calibration);
  const nmRefused = nm.outcomes.filter((o) => o.right).length / nm.outcomes.length;
  const ppRight = pp.outcomes.filter((o) => o.right).length / pp.outcomes.length;
  print(
    'Negatives and paraphrases (held out: never fitted on)',
    table(
      ['set', 'questions', 'handled right', 'what "right" means'],
      [
        ['cross-corpus: PubMedQA test questions over the bundled corpus', crossPqa.outcomes.length, crossPqa.refused, 'refused'],
        ['cross-corpus: SciFact test claims over the bundled corpus', crossSf.outcomes.length, crossSf.refused, 'refused'],
        ['near-misses (written, test list)', nm.outcomes.length, nmRefused, `refused; ${nm.named} of them naming the missing term`],
        ['paraphrases (written, test list)', pp.outcomes.length, ppRight, 'cites an expected paper'],
      ],
    ) +
      (nm.misses.length ? `\n\nNear-misses answered: ${nm.misses.join(' · ')}` : '') +
      (pp.misses.length ? `\n\nParaphrases missed: ${pp.misses.join(' · ')}` : ''),
  );
  const heldOut: Outcome[] = [...pq.outcomes, ...sc.outcomes, ...pp.outcomes, ...crossPqa.outcomes, ...crossSf.outcomes, ...nm.outcomes];
  print('Risk–coverage on the held-out sets: share of each set on the wrong side as the gate threshold moves', riskCoverage(heldOut, chosen));

  if (flags.dev) {
    const nmDev = await writtenReport(nearMisses.filter((q) => q.split === 'dev'), corpora, calibration);
    const ppDev = await writtenReport(paraphrases.filter((q) => q.split === 'dev'), corpora, calibration);
    console.log(`\n(dev) near-misses refused ${nmDev.outcomes.filter((o) => o.right).length}/${nmDev.outcomes.length}: ${nmDev.misses.join(' · ')}`);
    console.log(`(dev) paraphrases right ${ppDev.outcomes.filter((o) => o.right).length}/${ppDev.outcomes.length}: ${ppDev.misses.join(' · ')}`);
  }
  report.datasets = {
    pubmedqa: pq.row,
    scifact: sc.row,
    crossCorpus: { pubmedqa: crossPqa.refused, scifact: crossSf.refused },
    nearMisses: { refused: nmRefused, named: nm.named, n: nm.outcomes.length, misses: nm.misses },
    paraphrases: { right: ppRight, n: pp.outcomes.length, misses: pp.misses },
    threshold: chosen,
  };
  return calibration;
}

let scifactSummaryTopics: TopicOutcome[] | undefined;

// ------------------------------------------------------------------ BEIR retrieval

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
  const corpus = await buildCorpus(path.basename(dir), papers, config, loaded);
  const buildSeconds = (performance.now() - t0) / 1000;
  const score = async (qrels: Map<string, Map<string, number>>, rank: (query: string) => Promise<string[]>, limit = Infinity) => {
    const ndcg: number[] = [];
    const recall: number[] = [];
    const ms: number[] = [];
    let n = 0;
    for (const [qid, rel] of qrels) {
      if (n++ >= limit) break;
      const text = queries.get(qid);
      if (!text || rel.size === 0) continue;
      const t = performance.now();
      const ranking = await rank(text);
      ms.push(performance.now() - t);
      ndcg.push(ndcgAtK(ranking, rel, 10));
      recall.push(recallAtK(ranking, new Set(rel.keys()), 100));
    }
    return { ndcg10: mean(ndcg), recall100: mean(recall), queries: ndcg.length, msPerQuery: mean(ms) };
  };
  const ranker = (retriever: typeof corpus.retriever, mode: RetrievalMode, denseWeight: number) => async (text: string) =>
    (await retriever.retrieve(text, { k: 100, mode, denseWeight, passagesPerPaper: 1 })).map((r) => r.paper.id);
  const run = (qrels: Map<string, Map<string, number>>, mode: RetrievalMode, denseWeight = 1, limit = Infinity) => score(qrels, ranker(corpus.retriever, mode, denseWeight), limit);

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
      `\n\nIndex built in memory in ${buildSeconds.toFixed(1)} s (${corpus.corpus.chunkCount} chunks).`,
  );
  report.beir = { dataset: name, documents: papers.length, model: loaded.info.modelId, bm25, dense, fused, denseWeight: bestWeight, tuning, published };
  if (!flags.postgres) return;

  // The same build in Postgres, the same test queries, the weight tuned above.
  log('Writing the same build into Postgres…');
  const pgEval = await postgresEval(papers, corpus.corpus, corpus.matrix, config, loaded);
  try {
    const pgRun = (mode: RetrievalMode, w = 1) => score(test, ranker(pgEval.retriever, mode, w), limit);
    const pg = { bm25: await pgRun('lexical'), dense: await pgRun('dense'), fused: await pgRun('fused', bestWeight), fullText: await score(test, (q) => pgEval.fullTextRanking(q, 100), limit) };
    const row = (what: string, a: { ndcg10: number; msPerQuery: number }, b: { ndcg10: number; recall100: number; msPerQuery: number }) => [what, a.ndcg10, b.ndcg10, (b.ndcg10 - a.ndcg10).toFixed(4), b.recall100, a.msPerQuery.toFixed(1), b.msPerQuery.toFixed(1)];
    print(
      `BEIR ${name} in Postgres: the same build, ${pgEval.where}`,
      table(
        ['retrieval', 'nDCG@10 embedded', 'nDCG@10 Postgres', 'difference', 'recall@100 Postgres', 'ms/query embedded', 'ms/query Postgres'],
        [
          row('BM25 (posting lists in SQL, our tokenizer)', bm25, pg.bm25),
          row(`dense (pgvector HNSW, ef_search ${config.hnsw.efSearch})`, dense, pg.dense),
          row(`fused, dense weight ${bestWeight}`, fused, pg.fused),
          row('Postgres full text instead of BM25 (tsvector, ts_rank)', bm25, pg.fullText),
        ],
      ) + `\n\nWritten into Postgres in ${pgEval.writeSeconds.toFixed(1)} s (${corpus.corpus.chunkCount} chunks, HNSW index included). Latency here is one query at a time through the whole retriever; npm run bench measures search and /api/ask throughput.`,
    );
    report.beirPostgres = { where: pgEval.where, writeSeconds: pgEval.writeSeconds, ...pg };
  } finally {
    await pgEval.close();
  }
}

// ------------------------------------------------------------------ run

const loaded = await loadEmbeddingModel(config, { warn: (m) => console.warn(m) });
console.log(`Embedding model: ${loaded.info.modelId}${loaded.info.offline ? ' (the offline model)' : ''}${loaded.info.fallbackReason ? ` — ${loaded.info.wanted} unavailable: ${loaded.info.fallbackReason}` : ''}`);
if (!flags['beir-only']) {
  const bundled = await buildCorpus('bundled', loadBundled(), config, loaded);
  const haveDatasets = existsSync(path.join(SHARED_DATASETS, 'pubmedqa-dev')) && existsSync(path.join(SHARED_DATASETS, 'scifact'));
  if (flags.calibrate && !haveDatasets) throw new Error(`--calibrate needs the shared datasets in ${SHARED_DATASETS}`);
  let calibration: Calibration | undefined;
  if (haveDatasets && !flags['no-datasets']) calibration = await evalDatasets(bundled, loaded);
  else console.log(`(${SHARED_DATASETS} not found or --no-datasets: PubMedQA, SciFact and the written sets skipped)`);
  await evalBundled(bundled, calibration, loaded);
  await evalWhyExamples(bundled, calibration);
  await evalSummaries(bundled, calibration, scifactSummaryTopics);
}
if (flags.beir) await evalBeir(flags.beir, loaded);
const header = `Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'CPU'}, Node ${process.version}. Command: npm run eval${process.argv.slice(2).length ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
writeFileSync(path.join(RESULTS, 'eval-latest.json'), JSON.stringify(report, null, 2));
writeFileSync(path.join(RESULTS, 'eval-latest.md'), `${header}\n\n${markdown.join('\n\n')}\n`);
console.log(`\n${header}\nWritten to bench/results/eval-latest.json and eval-latest.md`);
process.exit(0);
