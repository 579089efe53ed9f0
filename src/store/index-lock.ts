// One writer at a time per data directory. Every build merges onto the build it read when it
// started, and a finished build removes the older folders, so two ingests at once would lose one
// side's papers (or delete the other's half-written folder). The lock is a file created with
// O_EXCL holding the holder's pid and host; a lock whose process is gone (same host) is stale and
// taken over. A second ingest waits, saying so, unless told not to.
import { rmSync } from 'node:fs';
import { mkdir, open, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export interface LockHolder {
  pid: number;
  host: string;
  startedAt: string;
}

export class IndexLockedError extends Error {
  override readonly name = 'IndexLockedError';
  constructor(readonly holder: LockHolder) {
    super(`another ingest (pid ${holder.pid} on ${holder.host}, since ${holder.startedAt}) is writing this index; wait for it to finish, or run again without --no-wait to wait for it`);
  }
}

const lockFile = (dataDir: string) => path.join(dataDir, 'index', 'LOCK');

/** Whether a process on this host is still running (a lock held by a dead one is stale). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function tryLock(file: string): Promise<LockHolder | null> {
  const me: LockHolder = { pid: process.pid, host: os.hostname(), startedAt: new Date().toISOString() };
  try {
    const handle = await open(file, 'wx');
    await handle.writeFile(JSON.stringify(me));
    await handle.close();
    return null;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const holder = await readFile(file, 'utf8').then((s) => JSON.parse(s) as LockHolder).catch(() => null);
  // Unreadable (being written this instant) counts as held; a dead holder on this host is stale.
  if (holder && holder.host === os.hostname() && !alive(holder.pid)) {
    await rm(file, { force: true });
    return tryLock(file);
  }
  return holder ?? { pid: 0, host: 'unknown', startedAt: 'just now' };
}

/**
 * Runs `fn` holding the data directory's write lock.
 * @example await withIndexLock(config.dataDir, () => writeTheIndex(), { wait: true, onWait: console.error })
 */
export async function withIndexLock<T>(dataDir: string, fn: () => Promise<T>, options: { wait: boolean; onWait?: (holder: LockHolder) => void; pollMs?: number }): Promise<T> {
  const file = lockFile(dataDir);
  await mkdir(path.dirname(file), { recursive: true });
  let told = false;
  for (;;) {
    const holder = await tryLock(file);
    if (!holder) break;
    if (!options.wait) throw new IndexLockedError(holder);
    if (!told) options.onWait?.(holder);
    told = true;
    await new Promise((r) => setTimeout(r, options.pollMs ?? 250));
  }
  // A Ctrl-C (the ingest command exits on it) must not leave a lock behind for a live pid to be
  // mistaken for; a SIGKILL can, and the next writer takes over a lock whose process is gone.
  const onExit = () => rmSync(file, { force: true });
  process.once('exit', onExit);
  try {
    return await fn();
  } finally {
    process.off('exit', onExit);
    await rm(file, { force: true });
  }
}
