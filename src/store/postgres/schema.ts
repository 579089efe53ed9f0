// The database's shape, versioned. The shared tables (builds, the current pointer, the writer's
// lease) change only through MIGRATIONS, applied in order by whichever process connects first,
// under an advisory lock so two servers starting together do not race. A build's own tables are
// created by the writer, one set per build (b<seq>_papers, b<seq>_chunks, b<seq>_postings,
// b<seq>_terms): a build is dropped whole, and each build's HNSW index covers only its vectors.
import type pg from 'pg';

/** Thrown when the database was migrated by a newer version of this project. */
export class DatabaseVersionError extends Error {
  override readonly name = 'DatabaseVersionError';
}

interface Migration {
  version: number;
  /** The statements, given the quoted schema name. */
  sql: (schema: string) => string;
}

/** Append only: a released migration is never edited, only followed by another. */
const MIGRATIONS: Migration[] = [
  {
    version: 1,
    sql: (s) => `
      CREATE EXTENSION IF NOT EXISTS vector WITH SCHEMA public;
      CREATE TABLE ${s}.builds (
        seq bigserial PRIMARY KEY,
        build_id text NOT NULL UNIQUE,
        status text NOT NULL CHECK (status IN ('writing', 'complete')),
        manifest jsonb NOT NULL,
        avg_length double precision NOT NULL,
        started_at timestamptz NOT NULL DEFAULT now(),
        completed_at timestamptz
      );
      CREATE TABLE ${s}.current_build (
        singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
        seq bigint NOT NULL REFERENCES ${s}.builds (seq),
        previous_seq bigint REFERENCES ${s}.builds (seq) ON DELETE SET NULL,
        switched_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE TABLE ${s}.write_lease (
        singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
        token text NOT NULL,
        pid integer NOT NULL,
        host text NOT NULL,
        started_at timestamptz NOT NULL,
        renewed_at timestamptz NOT NULL
      );`,
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;

export const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** The tables of build `seq`, schema-qualified and quoted. */
export function buildTables(schema: string, seq: number | string) {
  const t = (name: string) => `${quoteIdent(schema)}.${quoteIdent(`b${seq}_${name}`)}`;
  return { papers: t('papers'), chunks: t('chunks'), postings: t('postings'), terms: t('terms') };
}

/** Runs `fn` in a transaction on one connection: committed when it returns, rolled back when it throws. */
export async function inTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

/**
 * Brings the schema up to SCHEMA_VERSION. Idempotent; refuses a database a newer version migrated.
 * @example await migrate(pool, 'abstracts')
 */
export async function migrate(pool: pg.Pool, schema: string): Promise<void> {
  const s = quoteIdent(schema);
  try {
    await inTransaction(pool, async (client) => {
      // One migrator at a time across every process on this database; released at COMMIT.
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`abstracts-chat:${schema}`]);
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
      await client.query(`CREATE TABLE IF NOT EXISTS ${s}.schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`);
      const { rows } = await client.query<{ version: number | null }>(`SELECT max(version) AS version FROM ${s}.schema_migrations`);
      const at = rows[0].version ?? 0;
      if (at > SCHEMA_VERSION) {
        throw new DatabaseVersionError(
          `The database schema "${schema}" is at version ${at}, written by a newer version of abstracts-chat (this one knows up to ${SCHEMA_VERSION}). Upgrade this installation, or point DATABASE_SCHEMA at another schema.`,
        );
      }
      for (const m of MIGRATIONS.filter((m) => m.version > at)) {
        await client.query(m.sql(s));
        await client.query(`INSERT INTO ${s}.schema_migrations (version) VALUES ($1)`, [m.version]);
      }
    });
  } catch (error) {
    if (/extension "vector"/.test((error as Error).message)) {
      throw new Error(`The database has no pgvector extension available (${(error as Error).message}). Install pgvector on the server (most managed Postgres services offer it), or have an administrator run CREATE EXTENSION vector.`);
    }
    throw error;
  }
}
