// The indexes the evaluation asks questions over, built in memory by the store's buildIndex (as
// ingest builds them, without the disk) once per run, and the product's own path
// from a question to the gate's measurements (the same calls AnswerService makes).
import type { Config } from '../../src/config.js';
import type { LoadedEmbeddings } from '../../src/embeddings/load-embedding-model.js';
import { Retriever, type RetrievedPaper } from '../../src/retrieve/retriever.js';
import { AnswerService } from '../../src/answer/answer-service.js';
import type { Calibration } from '../../src/answer/calibration.js';
import { answerabilityFeatures, type AnswerabilityFeatures } from '../../src/answer/answerability.js';
import { paperEvidence, type PaperEvidence } from '../../src/answer/paper-evidence.js';
import { analyseQuestion, type AnalysedQuestion } from '../../src/answer/question.js';
import type { Paper } from '../../src/types.js';
import { respell } from '../../src/text/spelling.js';
import { buildIndex } from '../../src/store/build-index.js';
import type { Corpus } from '../../src/store/corpus.js';

export interface EvalCorpus {
  name: string;
  papers: Paper[];
  byId: Map<string, Paper>;
  corpus: Corpus;
  retriever: Retriever;
  config: Config;
  /** Every chunk's vector (row-major), for writing the same build into another store. */
  matrix: Float32Array;
}

export async function buildCorpus(name: string, papers: Paper[], config: Config, loaded: LoadedEmbeddings): Promise<EvalCorpus> {
  const index = await buildIndex(papers, loaded, { config });
  return { name, papers, byId: new Map(papers.map((p) => [p.id, p])), corpus: index.corpus, retriever: new Retriever(index, loaded.embeddings), config, matrix: index.matrix };
}

export function serviceFor(corpus: EvalCorpus, calibration?: Calibration): AnswerService {
  return new AnswerService({ config: corpus.config, corpus: corpus.corpus, retriever: corpus.retriever, ...(calibration ? { calibration } : {}) });
}

export interface Judged {
  question: AnalysedQuestion;
  retrieved: RetrievedPaper[];
  evidence: PaperEvidence[];
  features: AnswerabilityFeatures[];
}

/** Retrieval and the gate's measurements for one question, as AnswerService computes them. */
export async function measure(corpus: EvalCorpus, asked: string, k = corpus.config.retrievalK): Promise<Judged> {
  const { text } = respell(asked, corpus.corpus.termStats);
  const question = analyseQuestion(text, corpus.corpus.termStats);
  const retrieved = await corpus.retriever.retrieve(text, { k, passagesPerPaper: 3 });
  const evidence = retrieved.map((r, i) => paperEvidence(question, r, i + 1));
  return { question, retrieved, evidence, features: evidence.map(answerabilityFeatures) };
}
