// One writer at a time per database schema, across machines: a one-row lease the writer renews
// every few seconds. A lease whose holder stopped renewing is stale and may be taken over; so is
// one held by a process on this host that no longer exists (a killed ingest), at once. A session
// advisory lock would be simpler, but it is bound to one connection, which a pooler (or PGlite's
// connection multiplexer) does not guarantee.
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type pg from 'pg';
import { alive, IndexLockedError, type LockHolder } from '../index-lock.js';
import type { LockOptions } from '../index-store.js';
import { quoteIdent } from './schema.js';

export interface Lease {
  token: string;
  /** Throws when a renewal found the lease taken: the writer stops before writing more. */
  throwIfLost(): void;
  /** Throws unless the lease is still ours, locking its row until `client`'s transaction ends. */
  assertHeld(client: pg.PoolClient): Promise<void>;
}

const RENEW_MS = 5_000;
// Generous, because building a large corpus's tables in memory holds the event loop (and the
// renewals) for a while.
const STALE_SECONDS = 120;
// A holder on this host whose process is gone (a killed ingest) is taken over after three missed
// renewals, not at once: containers can share a host name without sharing process ids.
const DEAD_HOLDER_SECONDS = 15;

export async function withWriteLease<T>(pool: pg.Pool, schema: string, fn: (lease: Lease) => Promise<T>, options: LockOptions & { pollMs?: number }): Promise<T> {
  const table = `${quoteIdent(schema)}.write_lease`;
  const token = randomUUID();
  const take = async (staleToken: string) =>
    (
      await pool.query(
        `INSERT INTO ${table} (singleton, token, pid, host, started_at, renewed_at) VALUES (true, $1, $2, $3, now(), now())
         ON CONFLICT (singleton) DO UPDATE SET token = EXCLUDED.token, pid = EXCLUDED.pid, host = EXCLUDED.host, started_at = now(), renewed_at = now()
         WHERE ${table}.renewed_at < now() - make_interval(secs => ${STALE_SECONDS})
            OR (${table}.token = $4 AND ${table}.renewed_at < now() - make_interval(secs => ${DEAD_HOLDER_SECONDS}))
         RETURNING token`,
        [token, process.pid, os.hostname(), staleToken],
      )
    ).rowCount === 1;
  let told = false;
  for (;;) {
    if (await take('')) break;
    const { rows } = await pool.query<{ token: string; pid: number; host: string; started_at: Date }>(`SELECT token, pid, host, started_at FROM ${table}`);
    const held = rows[0];
    if (!held) continue; // released between the two statements
    if (held.host === os.hostname() && !alive(held.pid) && (await take(held.token))) break;
    const holder: LockHolder = { pid: held.pid, host: held.host, startedAt: held.started_at.toISOString() };
    if (!options.wait) throw new IndexLockedError(holder);
    if (!told) options.onWait?.(holder);
    told = true;
    await new Promise((r) => setTimeout(r, options.pollMs ?? 500));
  }

  let lost = false;
  const renew = setInterval(() => {
    pool.query(`UPDATE ${table} SET renewed_at = now() WHERE token = $1`, [token]).then(
      (r) => (lost ||= r.rowCount === 0),
      () => {}, // a failed renewal is retried; a lease taken meanwhile shows as zero rows next time
    );
  }, RENEW_MS);
  renew.unref();
  const lease: Lease = {
    token,
    throwIfLost() {
      if (lost) throw new Error('this ingest lost its write lease to another writer (it could not renew it in time); nothing was made current');
    },
    async assertHeld(client) {
      const { rowCount } = await client.query(`SELECT 1 FROM ${table} WHERE token = $1 FOR UPDATE`, [token]);
      if (rowCount !== 1) throw new Error('this ingest lost its write lease to another writer (it could not renew it in time); nothing was made current');
    },
  };
  try {
    return await fn(lease);
  } finally {
    clearInterval(renew);
    await pool.query(`DELETE FROM ${table} WHERE token = $1`, [token]).catch(() => {});
  }
}
