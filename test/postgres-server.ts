// A real Postgres for the tests: PGlite (PostgreSQL 18 compiled to WebAssembly) with pgvector,
// served over the Postgres wire protocol on 127.0.0.1 by pglite-socket's connection handler, so
// the project talks to it through `pg` exactly as it would to a server. With TEST_DATABASE_URL
// set, that server is used instead, each suite in a schema of its own that it drops afterwards.
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { PGlite } from '@electric-sql/pglite';
import pg from 'pg';

type OnData = (data: Uint8Array) => void;
interface Job {
  handlerId: number;
  messages: Array<{ message: Uint8Array; onData: OnData }>;
  resolve: (bytes: number) => void;
  reject: (error: Error) => void;
}

// Message types that end what a client sends before it waits for the answer: Sync, a simple
// Query, Flush, a password, Terminate; a startup message has no type byte (its length starts 0).
const ENDS_A_GROUP = new Set([0x00, 0x53, 0x51, 0x48, 0x70, 0x58]);

/**
 * PGlite is one backend. pglite-socket's own multiplexer runs each wire message as it arrives,
 * so two connections' extended-protocol messages (Parse, Bind, Execute … Sync) interleave and one
 * connection's unnamed statement replaces another's ("unnamed prepared statement does not exist",
 * seen here under load). This queue runs a connection's messages up to Sync as one unit, and gives
 * a connection with an open transaction the backend to itself until it ends, as a real server's
 * backend-per-connection would.
 */
class MessageGroupQueue {
  private readonly pending = new Map<number, Job['messages']>();
  private jobs: Job[] = [];
  private owner: number | null = null;
  private running = false;

  constructor(private readonly db: PGlite) {}

  enqueue(handlerId: number, message: Uint8Array, onData: OnData): Promise<number> {
    const messages = this.pending.get(handlerId) ?? [];
    messages.push({ message, onData });
    if (!ENDS_A_GROUP.has(message[0])) {
      this.pending.set(handlerId, messages);
      return Promise.resolve(0);
    }
    this.pending.delete(handlerId);
    return new Promise((resolve, reject) => {
      this.jobs.push({ handlerId, messages, resolve, reject });
      void this.drain();
    });
  }

  private async drain(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (;;) {
        const i = this.owner === null ? 0 : this.jobs.findIndex((j) => j.handlerId === this.owner);
        if (i < 0 || i >= this.jobs.length) return;
        const [job] = this.jobs.splice(i, 1);
        let bytes = 0;
        try {
          await this.db.runExclusive(async () => {
            for (const m of job.messages) {
              await this.db.execProtocolRawStream(m.message, { onRawData: (d: Uint8Array) => ((bytes += d.length), m.onData(d)) });
            }
          });
          this.owner = this.db.isInTransaction() ? job.handlerId : null;
          job.resolve(bytes);
        } catch (error) {
          job.reject(error as Error);
        }
      }
    } finally {
      this.running = false;
    }
  }

  getQueueLength(): number {
    return this.jobs.length;
  }

  clearQueueForHandler(handlerId: number): void {
    this.pending.delete(handlerId);
    for (const j of this.jobs.filter((j) => j.handlerId === handlerId)) j.reject(new Error('connection closed'));
    this.jobs = this.jobs.filter((j) => j.handlerId !== handlerId);
  }

  /** A connection that closes inside a transaction (a killed process) has it rolled back. */
  async clearTransactionIfNeeded(handlerId: number): Promise<void> {
    if (this.owner !== handlerId) return;
    if (this.db.isInTransaction()) await this.db.exec('ROLLBACK');
    this.owner = null;
    void this.drain();
  }
}

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
  const [{ PGlite }, { vector }, { PGLiteSocketHandler }] = await Promise.all([import('@electric-sql/pglite'), import('@electric-sql/pglite-pgvector'), import('@electric-sql/pglite-socket')]);
  const db = await PGlite.create({ extensions: { vector } });
  const queue = new MessageGroupQueue(db);
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    const handler = new PGLiteSocketHandler({ queryQueue: queue as never, closeOnDetach: true });
    handler.attach(socket).catch(() => socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `postgres://postgres:postgres@127.0.0.1:${port}/postgres`;
  return {
    url,
    schema,
    env: { DATABASE_URL: url, DATABASE_SCHEMA: schema },
    stop: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
      await db.close();
    },
  };
}
