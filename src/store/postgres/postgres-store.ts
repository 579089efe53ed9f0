// Builds in Postgres with pgvector, for libraries several servers share. The database holds every
// build's papers, chunk table, vectors and BM25 postings; a server holds only what it reads on
// every query without a round trip (the papers' JSON, unparsed until used, the chunk table as
// typed arrays, and the term table for idf) and asks the database for both searches. Nothing a
// server keeps is needed by another: any of them can be stopped, and a new one opens the current
// build from the database alone.
import pg from 'pg';
import type { Config } from '../../config.js';
import type { Progress } from '../../progress.js';
import type { Paper } from '../../types.js';
import type { BuiltIndex } from '../build-index.js';
import { Corpus, type ChunkTable } from '../corpus.js';
import { IndexLayoutError, NoIndexError, type OpenIndex } from '../index-dir.js';
import type { IndexStore, LockOptions } from '../index-store.js';
import { TermTable } from '../lexical-index.js';
import { FORMAT_VERSION, type IndexManifest } from '../manifest.js';
import { PaperTable } from '../paper-table.js';
import { exactNearest, type VectorBackend, type VectorHit, type VectorIndex } from '../vector-index.js';
import { isConnectionError, PostgresLexicalSearch, PostgresVectorIndex } from './postgres-search.js';
import { buildTables, migrate, quoteIdent } from './schema.js';
import { withWriteLease } from './write-lease.js';
import { writeBuild } from './write-build.js';

/** The URL without its password, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    // pg also takes the password as a query parameter.
    if (u.searchParams.has('password')) u.searchParams.set('password', '***');
    return u.toString();
  } catch {
    return 'the configured DATABASE_URL';
  }
}

/**
 * A build's vectors before the database indexes them: held in memory, searched exactly. buildIndex
 * returns one; PostgresStore.write sends the matrix on and lets pgvector build the graph.
 */
class MatrixIndex implements VectorIndex {
  readonly backend = 'pgvector';
  constructor(
    private readonly matrix: Float32Array,
    readonly dims: number,
    private readonly corpus: Corpus,
  ) {}

  async search(query: Float32Array, k: number, filters?: Parameters<VectorIndex['search']>[2]): Promise<VectorHit[]> {
    const mask = this.corpus.rowMask(filters)?.mask;
    const rows = Array.from({ length: this.corpus.chunkCount }, (_, r) => r).filter((r) => !mask || mask[r]);
    return exactNearest(query, rows, (r) => this.matrix.subarray(r * this.dims, (r + 1) * this.dims), k);
  }

  async vectors(rows: number[]): Promise<Float32Array[]> {
    return rows.map((r) => this.matrix.slice(r * this.dims, (r + 1) * this.dims));
  }

  async save(): Promise<void> {
    throw new Error('a Postgres build is written by PostgresStore.write');
  }
}

export const pgvectorBackend: VectorBackend = {
  name: 'pgvector',
  parameters: (config) => ({ m: config.hnsw.m, efConstruction: config.hnsw.efConstruction }),
  build: async (corpus, vectors, dims) => new MatrixIndex(vectors, dims, corpus),
  open: () => Promise.reject(new Error('a pgvector build is opened from its database (DATABASE_URL), not from a folder')),
};

interface CurrentRow {
  seq: string;
  manifest: IndexManifest;
  avg_length: number;
}

export class PostgresStore implements IndexStore {
  readonly backend = pgvectorBackend;
  readonly location: string;
  private readonly s: string;

  private constructor(
    readonly pool: pg.Pool,
    url: string,
    private readonly schema: string,
  ) {
    this.location = `${redactUrl(url)} (schema ${schema})`;
    this.s = quoteIdent(schema);
  }

  /** Connects, and applies any migrations this version has that the database lacks. */
  static async connect(config: Config): Promise<PostgresStore> {
    const { url, schema, poolSize } = config.database!;
    const pool = new pg.Pool({
      connectionString: url,
      max: poolSize,
      // A database that does not answer fails a request in 10 s rather than hanging it.
      connectionTimeoutMillis: 10_000,
      // Every search on a connection: the HNSW breadth, and iterative scans so that a filtered search
      // still returns k rows. Separately: pgvector before 0.8 has no iterative scans, and should
      // still get its ef_search.
      onConnect: async (client) => {
        await client.query(`SET hnsw.ef_search = ${config.hnsw.efSearch}`).catch(() => {});
        await client.query('SET hnsw.iterative_scan = relaxed_order').catch(() => {});
      },
    });
    // Idle clients can fail when the database restarts; the next query gets a fresh one.
    pool.on('error', () => {});
    try {
      await migrate(pool, schema);
    } catch (error) {
      await pool.end().catch(() => {});
      if (isConnectionError(error)) throw new Error(`Could not reach the Postgres database named by DATABASE_URL (${redactUrl(url)}): ${(error as Error).message}`);
      throw error;
    }
    return new PostgresStore(pool, url, schema);
  }

  async currentBuildId(): Promise<string | null> {
    const { rows } = await this.pool.query<{ build_id: string }>(`SELECT b.build_id FROM ${this.s}.current_build c JOIN ${this.s}.builds b ON b.seq = c.seq`);
    return rows[0]?.build_id ?? null;
  }

  private async current(): Promise<CurrentRow> {
    const { rows } = await this.pool.query<CurrentRow>(`SELECT b.seq, b.manifest, b.avg_length FROM ${this.s}.current_build c JOIN ${this.s}.builds b ON b.seq = c.seq`);
    if (!rows[0]) throw new NoIndexError(`No index in ${this.location}. Run npm run ingest -- <files> with the same DATABASE_URL (or npm start, which builds the bundled corpus).`);
    return rows[0];
  }

  async hasBuild(buildId: string): Promise<boolean> {
    const { rowCount } = await this.pool.query(`SELECT 1 FROM ${this.s}.builds WHERE build_id = $1 AND status = 'complete'`, [buildId]);
    return rowCount === 1;
  }

  async readManifest(): Promise<IndexManifest | null> {
    return this.current().then(
      (c) => c.manifest,
      (error) => {
        if (error instanceof NoIndexError) return null;
        throw error;
      },
    );
  }

  async open(): Promise<OpenIndex> {
    const { seq, manifest, avg_length: avgLength } = await this.current();
    if (manifest.formatVersion !== FORMAT_VERSION) throw new IndexLayoutError(`${this.location} build ${manifest.buildId}`, manifest.formatVersion);
    const t = buildTables(this.schema, seq);
    const [papers, chunks, terms] = await Promise.all([
      this.pool.query<{ id: string; year: number | null; body: string }>(`SELECT id, year, body FROM ${t.papers} ORDER BY row`),
      this.pool.query<{ paper_row: number; ordinal: number; spans: number[] }>(`SELECT paper_row, ordinal, spans FROM ${t.chunks} ORDER BY row`),
      this.pool.query<{ term: string; df: number }>(`SELECT term, df FROM ${t.terms}`),
    ]);
    const paperTable = PaperTable.fromLines(
      papers.rows.map((r) => r.id),
      papers.rows.map((r) => r.year),
      papers.rows.map((r) => r.body),
    );
    const corpus = Corpus.fromTables(manifest, paperTable, chunkTable(chunks.rows), new TermTable(new Map(terms.rows.map((r) => [r.term, r.df])), chunks.rows.length));
    return {
      corpus,
      vectors: new PostgresVectorIndex(this.pool, t, manifest.embedding.dims, corpus),
      lexical: new PostgresLexicalSearch(this.pool, t, corpus, avgLength),
    };
  }

  async readStoredPapers(): Promise<{ papers: Paper[]; manifest: IndexManifest } | null> {
    const current = await this.current().catch((error) => {
      if (error instanceof NoIndexError) return null;
      throw error;
    });
    if (!current) return null;
    const { rows } = await this.pool.query<{ body: string }>(`SELECT body FROM ${buildTables(this.schema, current.seq).papers} ORDER BY row`);
    return { papers: rows.map((r) => JSON.parse(r.body) as Paper), manifest: current.manifest };
  }

  private lease?: Parameters<typeof writeBuild>[2]['lease'];

  async write(built: BuiltIndex, progress?: Progress): Promise<string> {
    if (!this.lease) throw new Error('PostgresStore.write outside withWriteLock');
    await writeBuild(this.pool, built, { schema: this.schema, lease: this.lease, progress });
    return `${this.location}, build ${built.corpus.manifest.buildId}`;
  }

  withWriteLock<T>(fn: () => Promise<T>, options: LockOptions): Promise<T> {
    return withWriteLease(
      this.pool,
      this.schema,
      async (lease) => {
        this.lease = lease;
        try {
          return await fn();
        } finally {
          this.lease = undefined;
        }
      },
      options,
    );
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}

function chunkTable(rows: Array<{ paper_row: number; ordinal: number; spans: number[] }>): ChunkTable {
  const spanStart = new Uint32Array(rows.length + 1);
  rows.forEach((r, i) => (spanStart[i + 1] = spanStart[i] + r.spans.length / 2));
  const spans = new Uint32Array(spanStart[rows.length] * 2);
  rows.forEach((r, i) => spans.set(r.spans, 2 * spanStart[i]));
  return { paperRow: Uint32Array.from(rows, (r) => r.paper_row), ordinal: Uint16Array.from(rows, (r) => r.ordinal), spanStart, spans };
}
