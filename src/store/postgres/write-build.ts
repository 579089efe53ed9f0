// Writes one build into Postgres: a builds row marked 'writing', the build's own tables filled in
// batches, its indexes built after the load (much faster than maintaining them row by row), then
// one short transaction that marks it complete and makes it current. Batches commit as they go,
// so a large build is not one giant transaction and readers are never blocked; a writer killed
// before the switch leaves a 'writing' build that is never served, and the next writer drops it.
// The previous build is kept until the next switch, so a server mid-request on it can finish.
import type pg from 'pg';
import { silentProgress, type Progress } from '../../progress.js';
import type { BuiltIndex } from '../build-index.js';
import { authorForms, foldText } from '../filters.js';
import { buildTables, inTransaction, quoteIdent } from './schema.js';
import { vectorLiteral } from './postgres-search.js';
import type { Lease } from './write-lease.js';

const BATCH = 1_000;
/** Posting lists longer than this are split, so no one value grows without bound at PubMed scale. */
const POSTING_BLOCK = 8_192;

const intArray = (values: ArrayLike<number>) => `{${Array.from(values).join(',')}}`;

export interface WriteOptions {
  schema: string;
  lease: Lease;
  progress?: Progress;
}

export async function writeBuild(pool: pg.Pool, built: BuiltIndex, { schema, lease, progress = silentProgress }: WriteOptions): Promise<void> {
  const { corpus, matrix } = built;
  const { manifest } = corpus;
  const dims = manifest.embedding.dims;
  const s = quoteIdent(schema);
  await dropUnservedBuilds(pool, schema, lease);

  const lexical = corpus.lexical!;
  const lengths = lexical.documentLengths;
  const { rows } = await pool.query<{ seq: string }>(`INSERT INTO ${s}.builds (build_id, status, manifest, avg_length) VALUES ($1, 'writing', $2, $3) RETURNING seq`, [manifest.buildId, manifest, lexical.averageLength]);
  const seq = rows[0].seq;
  const t = buildTables(schema, seq);
  await pool.query(`
    CREATE TABLE ${t.papers} (row integer PRIMARY KEY, id text NOT NULL UNIQUE, year integer, design text, venue text, authors text, body text NOT NULL);
    CREATE TABLE ${t.chunks} (row integer PRIMARY KEY, paper_row integer NOT NULL, ordinal integer NOT NULL, spans integer[] NOT NULL, embedding vector(${dims}) NOT NULL);
    CREATE TABLE ${t.postings} (term text NOT NULL, block integer NOT NULL, rows integer[] NOT NULL, tfs integer[] NOT NULL, lengths integer[] NOT NULL, PRIMARY KEY (term, block));
    CREATE TABLE ${t.terms} (term text PRIMARY KEY, df integer NOT NULL);`);

  const postings = [...lexical.postingLists()];
  const blocks = postings.reduce((n, p) => n + Math.ceil(p.rows.length / POSTING_BLOCK), 0);
  progress.start('writing to Postgres', corpus.paperCount + corpus.chunkCount + blocks + postings.length, 'rows');
  let done = 0;
  const insert = async (sql: string, columns: unknown[][]) => {
    lease.throwIfLost();
    await pool.query(sql, columns);
    progress.update((done += columns[0].length));
  };

  const papers = corpus.papers;
  for (let i = 0; i < papers.length; i += BATCH) {
    const batch = papers.slice(i, i + BATCH);
    await insert(`INSERT INTO ${t.papers} SELECT * FROM unnest($1::int[], $2::text[], $3::int[], $4::text[], $5::text[], $6::text[], $7::text[])`, [
      batch.map((_, j) => i + j),
      batch.map((p) => p.id),
      batch.map((p) => p.year),
      batch.map((p) => p.design ?? null),
      batch.map((p) => (p.venue ? noNul(foldText(p.venue)) : null)),
      batch.map((p) => (p.authors.length ? noNul(authorForms(p).join('\n')) : null)),
      batch.map((p) => JSON.stringify(p)),
    ]);
  }

  const { paperRow, ordinal, spanStart, spans } = corpus.chunkTable;
  for (let i = 0; i < corpus.chunkCount; i += BATCH) {
    const batch = Array.from({ length: Math.min(BATCH, corpus.chunkCount - i) }, (_, j) => i + j);
    await insert(`INSERT INTO ${t.chunks} SELECT r, p, o, s::int[], e::vector FROM unnest($1::int[], $2::int[], $3::int[], $4::text[], $5::text[]) AS u(r, p, o, s, e)`, [
      batch,
      batch.map((r) => paperRow[r]),
      batch.map((r) => ordinal[r]),
      batch.map((r) => intArray(spans.subarray(2 * spanStart[r], 2 * spanStart[r + 1]))),
      batch.map((r) => vectorLiteral(matrix.subarray(r * dims, (r + 1) * dims))),
    ]);
  }

  const blockRows: Array<[string, number, string, string, string]> = [];
  for (const { term, rows: termRows, counts } of postings) {
    for (let at = 0, block = 0; at < termRows.length; at += POSTING_BLOCK, block++) {
      const r = termRows.subarray(at, at + POSTING_BLOCK);
      blockRows.push([term, block, intArray(r), intArray(counts.subarray(at, at + POSTING_BLOCK)), intArray(Array.from(r, (row) => lengths[row]))]);
    }
  }
  for (let i = 0; i < blockRows.length; i += BATCH) {
    const batch = blockRows.slice(i, i + BATCH);
    await insert(`INSERT INTO ${t.postings} SELECT a, b, c::int[], d::int[], e::int[] FROM unnest($1::text[], $2::int[], $3::text[], $4::text[], $5::text[]) AS u(a, b, c, d, e)`, [0, 1, 2, 3, 4].map((k) => batch.map((row) => row[k])));
  }
  for (let i = 0; i < postings.length; i += BATCH) {
    const batch = postings.slice(i, i + BATCH);
    await insert(`INSERT INTO ${t.terms} SELECT * FROM unnest($1::text[], $2::int[])`, [batch.map((p) => p.term), batch.map((p) => p.rows.length)]);
  }
  progress.stop();

  // The graph is built once over all rows; maintenance_work_mem decides whether it fits in memory.
  progress.start('building the HNSW index in Postgres', 1, 'index');
  const { m, efConstruction } = manifest.vectors;
  lease.throwIfLost();
  await inTransaction(pool, async (client) => {
    // On the connection that builds the index, and only for that transaction.
    await client.query(`SET LOCAL maintenance_work_mem = '512MB'`);
    await client.query(`CREATE INDEX ON ${t.chunks} USING hnsw (embedding vector_cosine_ops) WITH (m = ${m}, ef_construction = ${efConstruction})`);
    await client.query(`CREATE INDEX ON ${t.chunks} (paper_row)`);
  });
  await pool.query(`ANALYZE ${t.papers}; ANALYZE ${t.chunks}; ANALYZE ${t.postings};`);
  progress.update(1);
  progress.stop();

  await inTransaction(pool, async (client) => {
    await lease.assertHeld(client);
    await client.query(`UPDATE ${s}.builds SET status = 'complete', completed_at = now(), manifest = $2 WHERE seq = $1`, [seq, manifest]);
    await client.query(
      `INSERT INTO ${s}.current_build (singleton, seq) VALUES (true, $1)
       ON CONFLICT (singleton) DO UPDATE SET previous_seq = ${s}.current_build.seq, seq = EXCLUDED.seq, switched_at = now()`,
      [seq],
    );
  });
  // The build is live by now: a failed clean-up is the next writer's to finish, not a failed ingest.
  await dropUnservedBuilds(pool, schema, lease).catch((error) => console.error(`Warning: older builds were not dropped (${(error as Error).message}); the next ingest will drop them.`));
}

const noNul = (text: string) => text.replace(/\0/g, '');

/**
 * Drops every build that is neither current nor the one before it (a killed writer's, or older),
 * in one transaction that first checks the lease, so a writer that lost it drops nothing.
 */
async function dropUnservedBuilds(pool: pg.Pool, schema: string, lease: Lease): Promise<void> {
  const s = quoteIdent(schema);
  await inTransaction(pool, async (client) => {
    await lease.assertHeld(client);
    const { rows } = await client.query<{ seq: string }>(
      `SELECT seq FROM ${s}.builds WHERE seq NOT IN (SELECT seq FROM ${s}.current_build UNION SELECT previous_seq FROM ${s}.current_build WHERE previous_seq IS NOT NULL)`,
    );
    for (const { seq } of rows) {
      const t = buildTables(schema, seq);
      await client.query(`DROP TABLE IF EXISTS ${t.papers}, ${t.chunks}, ${t.postings}, ${t.terms}`);
      await client.query(`DELETE FROM ${s}.builds WHERE seq = $1`, [seq]);
    }
  });
}
