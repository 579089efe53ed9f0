// The one place that reads process.env. Everything else receives a frozen Config,
// so tests can build any configuration without touching the environment.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const BUNDLED_CORPUS = path.join(PROJECT_ROOT, 'ingest', 'corpus', 'seed-abstracts.txt');
export const PROMPTS_DIR = path.join(PROJECT_ROOT, 'prompts');
export const WEB_DIR = path.join(PROJECT_ROOT, 'web');
/** How the library names itself to other tools: the MCP server name, the OpenAI-compatible model id. */
export const LIBRARY_NAME = 'abstracts-chat';
export const LIBRARY_VERSION = '0.1.0';

/** The project's own deterministic model: chosen explicitly with EMBEDDING_MODEL=offline. */
export const OFFLINE_MODEL_ID = 'offline';

const DEFAULT_CRISIS_MESSAGE =
  'It sounds like you may be going through something very hard right now. You deserve support. ' +
  'If you are in immediate danger, call your local emergency number. You can reach a crisis line ' +
  'any time: in the US call or text 988, in the UK and Ireland call Samaritans on 116 123, or find ' +
  'a line in your country at findahelpline.com. Talking to someone you trust can help too.';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

/** transformers.js 3's dtypes on CPU, each naming one ONNX file of a model (DTYPE_FILES). */
export const EMBEDDING_DTYPES = ['fp32', 'fp16', 'q8', 'int8', 'uint8', 'q4', 'q4f16', 'bnb4'] as const;
export type EmbeddingDtype = (typeof EMBEDDING_DTYPES)[number];
/** The file under onnx/ that transformers.js loads for each dtype. */
export const DTYPE_FILES: Record<EmbeddingDtype, string> = {
  fp32: 'model.onnx',
  fp16: 'model_fp16.onnx',
  q8: 'model_quantized.onnx',
  int8: 'model_int8.onnx',
  uint8: 'model_uint8.onnx',
  q4: 'model_q4.onnx',
  q4f16: 'model_q4f16.onnx',
  bnb4: 'model_bnb4.onnx',
};

const envSchema = z.object({
  DATA_DIR: z.string().default('./data'),
  HOST: z.string().default('127.0.0.1'),
  PORT: int(0, 65535).default(3000),
  CORPUS_PATH: z.string().default(BUNDLED_CORPUS),

  EMBEDDING_MODEL: z.string().default('Xenova/all-MiniLM-L6-v2'),
  EMBEDDING_MODEL_PATH: optionalString,
  EMBEDDING_POOLING: z.enum(['mean', 'cls']).default('mean'),
  EMBEDDING_QUERY_PREFIX: z.string().default(''),
  EMBEDDING_DOCUMENT_PREFIX: z.string().default(''),
  EMBEDDING_BATCH_SIZE: int(1, 1024).default(8), // fastest on 2 cores in npm run bench (length-sorted batches)
  // Which of a hub model's ONNX files to run (transformers.js 3's CPU dtypes): fp32 onnx/model.onnx,
  // q8 onnx/model_quantized.onnx, and so on. fp32 stays the default: see README, Performance.
  EMBEDDING_DTYPE: z.preprocess((v) => (typeof v === 'string' ? v.trim().toLowerCase() : v), z.enum(EMBEDDING_DTYPES)).default('fp32'),
  ALLOW_REMOTE_MODELS: bool.default(true),

  CHUNK_SENTENCES: int(1, 20).default(3),
  CHUNK_OVERLAP: int(0, 10).default(1),

  // Tuned by `npm run bench -- --tune` (README, Performance): recall@10 0.996 at 40x the exact scan, 100k vectors.
  HNSW_M: int(4, 128).default(24),
  HNSW_EF_CONSTRUCTION: int(10, 2000).default(100),
  HNSW_EF_SEARCH: int(10, 2000).default(200),

  VECTOR_BACKEND: z.enum(['hnsw', 'langchain-hnswlib']).default('hnsw'),
  DATABASE_URL: optionalString.refine((v) => v === undefined || /^postgres(ql)?:\/\//.test(v), 'a postgres:// or postgresql:// URL, e.g. postgres://user:password@host:5432/database'),
  DATABASE_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,40}$/, 'lower-case letters, digits and _, starting with a letter or _, at most 41 characters')
    .default('abstracts'),
  DATABASE_POOL_SIZE: int(1, 200).default(10),
  INDEX_POLL_MS: int(0, 3_600_000).default(1000),

  RETRIEVAL_K: int(1, 50).default(6),
  RETRIEVAL_DENSE_WEIGHT: z.coerce.number().min(0).max(10).optional(),

  LLM_BASE_URL: optionalString,
  LLM_MODEL: optionalString,
  LLM_API_KEY: optionalString,
  LLM_TIMEOUT_MS: int(100, 600_000).default(30_000),
  LLM_MAX_RETRIES: int(0, 10).default(2),

  API_KEY: optionalString,
  ALLOWED_HOSTS: optionalString,
  BODY_LIMIT_BYTES: int(1024, 100 * 1024 * 1024).default(64 * 1024),
  // Files added from the page (POST /api/ingest): a PubMed export of a few thousand records is ~20 MB.
  INGEST_LIMIT_BYTES: int(1024, 2 * 1024 * 1024 * 1024).default(50 * 1024 * 1024),
  HEADERS_TIMEOUT_MS: int(100, 600_000).default(15_000),
  REQUEST_TIMEOUT_MS: int(100, 3_600_000).default(60_000),
  CRISIS_MESSAGE: z.string().default(DEFAULT_CRISIS_MESSAGE),
});

export interface Config {
  dataDir: string;
  host: string;
  port: number;
  corpusPath: string;
  embedding: {
    model: string;
    localModelPath?: string;
    pooling: 'mean' | 'cls';
    queryPrefix: string;
    documentPrefix: string;
    batchSize: number;
    dtype: EmbeddingDtype;
    allowRemoteModels: boolean;
  };
  chunking: { sentencesPerChunk: number; overlap: number };
  hnsw: { m: number; efConstruction: number; efSearch: number };
  /** Which vector store new builds use (a build is always opened with the backend that wrote it). */
  vectorBackend: 'hnsw' | 'langchain-hnswlib';
  /**
   * With DATABASE_URL, builds live in Postgres (pgvector) and DATA_DIR holds only caches; several
   * servers can share one. `schema` holds every table, so one database can hold several libraries.
   */
  database?: { url: string; schema: string; poolSize: number };
  /** How often the server looks for a new build (0: never; it then serves what it opened). */
  indexPollMs: number;
  retrievalK: number;
  /** Unset: 1 for real models, 0.1 for the offline one (see retriever.ts). */
  retrievalDenseWeight?: number;
  llm?: { baseUrl: string; model: string; apiKey?: string; timeoutMs: number; maxRetries: number };
  apiKey?: string;
  /**
   * Host names the API answers to (Host and Origin headers), or null for any. Bound to loopback it
   * is the loopback names plus ALLOWED_HOSTS, so a web page cannot reach it by DNS rebinding.
   */
  allowedHosts: string[] | null;
  bodyLimitBytes: number;
  /** The most a POST /api/ingest upload may carry, all files together. */
  ingestLimitBytes: number;
  /** How long a client may take to send its headers, and its whole request (slow-client defence). */
  timeouts: { headersMs: number; requestMs: number };
  crisisMessage: string;
}

/** For a long-running command: the configuration, or the problem said in one line and exit status 2 (no stack trace). */
export function loadConfigOrExit(): Config {
  try {
    return loadConfig();
  } catch (error) {
    console.error((error as Error).message);
    process.exit(2);
  }
}

/** Parses an environment (process.env by default) into a frozen Config; throws with every bad variable named. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`Invalid configuration: ${problems}`);
  }
  const e = parsed.data;
  const llm =
    e.LLM_BASE_URL && e.LLM_MODEL
      ? {
          baseUrl: e.LLM_BASE_URL,
          model: e.LLM_MODEL,
          apiKey: e.LLM_API_KEY,
          timeoutMs: e.LLM_TIMEOUT_MS,
          maxRetries: e.LLM_MAX_RETRIES,
        }
      : undefined;
  return deepFreeze({
    dataDir: path.resolve(e.DATA_DIR),
    host: e.HOST,
    port: e.PORT,
    corpusPath: path.resolve(e.CORPUS_PATH),
    embedding: {
      model: e.EMBEDDING_MODEL,
      localModelPath: e.EMBEDDING_MODEL_PATH ? path.resolve(e.EMBEDDING_MODEL_PATH) : undefined,
      pooling: e.EMBEDDING_POOLING,
      queryPrefix: e.EMBEDDING_QUERY_PREFIX,
      documentPrefix: e.EMBEDDING_DOCUMENT_PREFIX,
      batchSize: e.EMBEDDING_BATCH_SIZE,
      dtype: e.EMBEDDING_DTYPE,
      allowRemoteModels: e.ALLOW_REMOTE_MODELS,
    },
    chunking: { sentencesPerChunk: e.CHUNK_SENTENCES, overlap: Math.min(e.CHUNK_OVERLAP, e.CHUNK_SENTENCES - 1) },
    hnsw: { m: e.HNSW_M, efConstruction: e.HNSW_EF_CONSTRUCTION, efSearch: e.HNSW_EF_SEARCH },
    vectorBackend: e.VECTOR_BACKEND,
    database: e.DATABASE_URL ? { url: e.DATABASE_URL, schema: e.DATABASE_SCHEMA, poolSize: e.DATABASE_POOL_SIZE } : undefined,
    indexPollMs: e.INDEX_POLL_MS,
    retrievalK: e.RETRIEVAL_K,
    retrievalDenseWeight: e.RETRIEVAL_DENSE_WEIGHT,
    llm,
    apiKey: e.API_KEY,
    allowedHosts: allowedHosts(e.HOST, e.ALLOWED_HOSTS),
    bodyLimitBytes: e.BODY_LIMIT_BYTES,
    ingestLimitBytes: e.INGEST_LIMIT_BYTES,
    timeouts: { headersMs: e.HEADERS_TIMEOUT_MS, requestMs: Math.max(e.REQUEST_TIMEOUT_MS, e.HEADERS_TIMEOUT_MS) },
    crisisMessage: e.CRISIS_MESSAGE,
  });
}

const LOOPBACK = ['localhost', '127.0.0.1', '::1'];

function allowedHosts(bind: string, extra: string | undefined): string[] | null {
  const listed = (extra ?? '').split(',').map((h) => h.trim().toLowerCase()).filter(Boolean);
  const loopback = LOOPBACK.includes(bind) || bind.startsWith('127.');
  if (!loopback && listed.length === 0) return null;
  return [...new Set([...(loopback ? [...LOOPBACK, bind] : []), ...listed])];
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
