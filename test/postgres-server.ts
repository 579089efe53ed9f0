// A real Postgres for the tests: PGlite (PostgreSQL 18 compiled to WebAssembly) with pgvector,
// served over the Postgres wire protocol on 127.0.0.1 by pglite-socket, so the project talks to
// it through `pg` exactly as it would to a server. With TEST_DATABASE_URL set, that server is used
// instead, each suite in a schema of its own that it drops afterwards.
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export interface TestDatabase {
  url: string;
  /** A fresh schema name, so suites sharing one database do not see each other's builds. */
  schema: string;
  /** Environment for a process that should use this database. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

export async function startTestDatabase(): Promise<TestDatabase> {
  const schema = `t_${randomBytes(4).toString('hex')}`;
  const external = process.env.TEST_DATABASE_URL;
  if (external) {
    return {
      url: external,
      schema,
      env: { DATABASE_URL: external, DATABASE_SCHEMA: schema },
      stop: async () => {
        const client = new pg.Client({ connectionString: external });
        await client.connect();
        await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        await client.end();
      },
    };
  }
  const [{ PGlite }, { vector }, { PGLiteSocketServer }] = await Promise.all([import('@electric-sql/pglite'), import('@electric-sql/pglite-pgvector'), import('@electric-sql/pglite-socket')]);
  const db = await PGlite.create({ extensions: { vector } });
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 100 });
  await server.start();
  const port = (server as unknown as { port: number }).port;
  const url = `postgres://postgres:postgres@127.0.0.1:${port}/postgres`;
  return {
    url,
    schema,
    env: { DATABASE_URL: url, DATABASE_SCHEMA: schema },
    stop: async () => {
      await server.stop();
      await db.close();
    },
  };
}
