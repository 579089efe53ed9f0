// Both halves of hybrid retrieval as SQL over one build's tables, with filters as predicates inside
// each query (never a post-filter on a list already cut to k).
// - Dense: pgvector's HNSW index, cosine distance. Iterative scans (set per connection) keep
//   walking the graph until LIMIT rows pass the filter; a tight filter lets the planner scan just
//   those papers' chunks exactly. hnsw.ef_search comes from HNSW_EF_SEARCH.
// - Lexical: BM25 in plain SQL over posting lists stored per term (blocks of row, tf, length
//   arrays), with the project's own tokenizer and the idf the server already holds. Scores are the
//   embedded backend's to rounding, and it needs no extension, so it runs on any managed Postgres.
import type pg from 'pg';
import { DatabaseUnavailableError, IndexNotReadyError } from '../../errors.js';
import type { Corpus } from '../corpus.js';
import type { SearchFilters } from '../filters.js';
import { BM25 } from '../lexical-index.js';
import { contentTerms } from '../../text/terms.js';
import type { LexicalHit, LexicalSearch, VectorHit, VectorIndex } from '../vector-index.js';
import type { buildTables } from './schema.js';
import { paperPredicate } from './sql-filters.js';

type Tables = ReturnType<typeof buildTables>;

// Node's socket errors and Postgres's connection-exception and operator-intervention classes.
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'ETIMEDOUT', 'EAI_AGAIN', 'EPIPE', '57P01', '57P02', '57P03', '08000', '08001', '08003', '08004', '08006']);

/** Whether an error means the database could not be reached (rather than a bad query). */
export function isConnectionError(error: unknown): boolean {
  const e = error as { code?: string; message?: string };
  return CONNECTION_CODES.has(e?.code ?? '') || /Connection terminated|connection timeout/i.test(e?.message ?? '');
}

/** A search's query, with what can go wrong outside this server said as a 503 the client can act on. */
async function searchQuery<R extends pg.QueryResultRow>(pool: pg.Pool, text: string, params: unknown[]): Promise<R[]> {
  try {
    return (await pool.query<R>(text, params)).rows;
  } catch (error) {
    if (isConnectionError(error)) throw new DatabaseUnavailableError(`The database is unreachable (${(error as Error).message}); try again shortly.`);
    // 42P01: the build's tables were dropped under this server (two newer builds replaced it).
    if ((error as { code?: string }).code === '42P01') throw new IndexNotReadyError('The build this server was answering from was removed from the database; it is switching to the current one (GET /api/health says when).');
    throw error;
  }
}

/** pgvector's text form. Nine significant digits carry a float32 exactly. */
export const vectorLiteral = (v: ArrayLike<number>) => `[${Array.from(v, (x) => x.toPrecision(9)).join(',')}]`;
export const parseVector = (text: string) => Float32Array.from(text.slice(1, -1).split(','), Number);

/** "chunk rows whose paper passes" as a predicate on `column`, or '' when nothing is filtered. */
function rowFilter(tables: Tables, filters: SearchFilters | undefined, params: unknown[], column: string, chunkTable = false): string {
  const predicate = paperPredicate(filters, params);
  if (!predicate) return '';
  const papers = `SELECT p.row FROM ${tables.papers} p WHERE ${predicate}`;
  return chunkTable ? `${column} IN (${papers})` : `${column} IN (SELECT c.row FROM ${tables.chunks} c WHERE c.paper_row IN (${papers}))`;
}

export class PostgresVectorIndex implements VectorIndex {
  readonly backend = 'pgvector';

  constructor(
    private readonly pool: pg.Pool,
    private readonly tables: Tables,
    readonly dims: number,
    private readonly corpus: Corpus,
  ) {}

  async search(query: Float32Array, k: number, filters?: SearchFilters): Promise<VectorHit[]> {
    if (this.corpus.chunkCount === 0 || k <= 0) return [];
    const params: unknown[] = [vectorLiteral(query), k];
    const where = rowFilter(this.tables, filters, params, 'c.paper_row', true);
    const rows = await searchQuery<{ row: number; distance: number }>(
      this.pool,
      `SELECT c.row, c.embedding <=> $1::vector AS distance FROM ${this.tables.chunks} c ${where ? `WHERE ${where}` : ''} ORDER BY c.embedding <=> $1::vector LIMIT $2`,
      params,
    );
    // Iterative scans in relaxed order may return near neighbours slightly out of order.
    return rows.map((r) => ({ row: r.row, similarity: 1 - r.distance })).sort((a, b) => b.similarity - a.similarity || a.row - b.row);
  }

  async vectors(rowsWanted: number[]): Promise<Float32Array[]> {
    const found = new Map<number, Float32Array>();
    for (let i = 0; i < rowsWanted.length; i += 2000) {
      const rows = await searchQuery<{ row: number; v: string }>(this.pool, `SELECT row, embedding::text AS v FROM ${this.tables.chunks} WHERE row = ANY($1::int[])`, [rowsWanted.slice(i, i + 2000)]);
      for (const r of rows) found.set(r.row, parseVector(r.v));
    }
    return rowsWanted.map((row) => {
      const v = found.get(row);
      if (!v) throw new Error(`chunk row ${row} has no vector in ${this.tables.chunks}`);
      return v;
    });
  }

  async save(): Promise<void> {
    throw new Error('a Postgres build is written by its store (PostgresStore.write), not saved as files');
  }
}

export class PostgresLexicalSearch implements LexicalSearch {
  constructor(
    private readonly pool: pg.Pool,
    private readonly tables: Tables,
    private readonly corpus: Corpus,
    /** Mean chunk length in terms, as the build computed it. */
    private readonly avgLength: number,
  ) {}

  async search(query: string, k: number, filters?: SearchFilters): Promise<LexicalHit[]> {
    const stats = this.corpus.termStats;
    const terms = [...new Set(contentTerms(query))].filter((t) => stats.documentFrequency(t) > 0);
    if (!terms.length || k <= 0) return [];
    const params: unknown[] = [terms, terms.map((t) => stats.idf(t)), k, this.avgLength];
    const where = rowFilter(this.tables, filters, params, 'e.row');
    const { k1, b } = BM25;
    const rows = await searchQuery<{ row: number; score: number }>(
      this.pool,
      `WITH q AS (SELECT * FROM unnest($1::text[], $2::float8[]) AS q(term, idf))
       SELECT e.row, sum(q.idf * e.tf * ${k1 + 1} / (e.tf + ${k1} * (1 - ${b} + ${b} * e.len / $4::float8))) AS score
       FROM q JOIN ${this.tables.postings} l ON l.term = q.term
       CROSS JOIN LATERAL unnest(l.rows, l.tfs, l.lengths) AS e(row, tf, len)
       ${where ? `WHERE ${where}` : ''}
       GROUP BY e.row ORDER BY score DESC, e.row LIMIT $3`,
      params,
    );
    return rows.map((r) => ({ row: r.row, score: Number(r.score) }));
  }
}
