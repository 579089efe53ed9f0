// The Postgres backend for `npm run eval -- --beir <dir> --postgres`: the same build, written into
// Postgres (DATABASE_URL, or a PGlite started here) and opened from it, so retrieval quality can be
// compared with the embedded store query for query. Also Postgres's own full text search
// (tsvector, ts_rank) over the same chunks, to show what the lexical half would rank like with it.
import pg from 'pg';
import type { Config } from '../../src/config.js';
import { loadConfig } from '../../src/config.js';
import type { LoadedEmbeddings } from '../../src/embeddings/load-embedding-model.js';
import { Retriever } from '../../src/retrieve/retriever.js';
import { buildIndex } from '../../src/store/build-index.js';
import type { Corpus } from '../../src/store/corpus.js';
import { PostgresStore, pgvectorBackend } from '../../src/store/postgres/postgres-store.js';
import type { Paper } from '../../src/types.js';
import { startTestDatabase, type TestDatabase } from '../../test/postgres-server.js';

export interface PostgresEval {
  retriever: Retriever;
  /** Papers ranked by Postgres full text search (best chunk per paper), for a query. */
  fullTextRanking(query: string, k: number): Promise<string[]>;
  writeSeconds: number;
  where: string;
  close(): Promise<void>;
}

/** Writes `papers` (already embedded in `embedded`) into Postgres and opens it like a server would. */
export async function postgresEval(papers: Paper[], embedded: Corpus, matrix: Float32Array, config: Config, loaded: LoadedEmbeddings): Promise<PostgresEval> {
  let db: TestDatabase | undefined;
  const url = process.env.DATABASE_URL ?? (db = await startTestDatabase()).url;
  const pgConfig = loadConfig({ ...process.env, EMBEDDING_MODEL: config.embedding.model, DATA_DIR: config.dataDir, DATABASE_URL: url, DATABASE_SCHEMA: db?.schema ?? 'abstracts_eval' });
  // The vectors the embedded build computed, by chunk text: nothing is embedded twice.
  const dims = embedded.manifest.embedding.dims;
  const byText = new Map(embedded.chunkTexts().map((t, r) => [t, matrix.subarray(r * dims, (r + 1) * dims)]));
  const built = await buildIndex(papers, loaded, { config: pgConfig, backend: pgvectorBackend, reuse: async (texts) => texts.map((t) => byText.get(t)) });

  const store = await PostgresStore.connect(pgConfig);
  const t0 = performance.now();
  await store.withWriteLock(() => store.write(built), { wait: true });
  const writeSeconds = (performance.now() - t0) / 1000;
  const index = await store.open();

  // Full text search over the same chunk texts, in a table of its own.
  const sql = new pg.Pool({ connectionString: url, max: 2 });
  const table = `"${pgConfig.database!.schema}".eval_fulltext`;
  await sql.query(`DROP TABLE IF EXISTS ${table}; CREATE TABLE ${table} (row integer PRIMARY KEY, tsv tsvector NOT NULL)`);
  const texts = index.corpus.chunkTexts();
  for (let i = 0; i < texts.length; i += 1000) {
    const rows = texts.slice(i, i + 1000);
    await sql.query(`INSERT INTO ${table} SELECT r, to_tsvector('english', t) FROM unnest($1::int[], $2::text[]) AS u(r, t)`, [rows.map((_, j) => i + j), rows]);
  }
  await sql.query(`CREATE INDEX ON ${table} USING gin (tsv); ANALYZE ${table}`);

  return {
    retriever: new Retriever(index, loaded.embeddings),
    writeSeconds,
    where: db ? 'PGlite (PostgreSQL 18.6 in WebAssembly) with pgvector 0.8.7, over the wire protocol on 127.0.0.1' : 'DATABASE_URL',
    async fullTextRanking(query, k) {
      // Any query word may match (websearch_to_tsquery would demand all of them); ranked by ts_rank with length normalisation.
      const { rows } = await sql.query<{ row: number }>(
        `WITH q AS (SELECT replace(plainto_tsquery('english', $1)::text, ' & ', ' | ') AS text)
         SELECT f.row FROM ${table} f, q WHERE q.text <> '' AND f.tsv @@ q.text::tsquery
         ORDER BY ts_rank(f.tsv, q.text::tsquery, 1) DESC, f.row LIMIT $2`,
        [query, k * 8],
      );
      const ranking: string[] = [];
      for (const { row } of rows) {
        const id = index.corpus.paperOfRow(row).id;
        if (!ranking.includes(id)) ranking.push(id);
      }
      return ranking.slice(0, k);
    },
    async close() {
      await sql.query(`DROP TABLE IF EXISTS ${table}`);
      await sql.end();
      await store.close();
      await db?.stop();
    },
  };
}
