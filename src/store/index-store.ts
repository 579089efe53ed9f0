// Where builds live. Every reader and writer of the index — the server's live swap, the ingest
// command, npm run ask — goes through an IndexStore, so whether a build is a folder under DATA_DIR
// or a version in Postgres is decided once, here, by DATABASE_URL. Both keep the same promises: a
// build is complete before it is current, a killed writer leaves the current build as it was, one
// writer at a time, and readers notice a new build by polling one cheap pointer.
import type { Config } from '../config.js';
import type { Progress } from '../progress.js';
import type { Paper } from '../types.js';
import type { BuiltIndex } from './build-index.js';
import { currentBuildId, openIndex, readManifest, readStoredPapers, writeIndex, backendNamed, type OpenIndex } from './index-dir.js';
import { withIndexLock, type LockHolder } from './index-lock.js';
import type { IndexManifest } from './manifest.js';
import type { VectorBackend } from './vector-index.js';

export interface LockOptions {
  /** When another writer holds the store: wait for it, or fail at once with IndexLockedError. */
  wait: boolean;
  onWait?: (holder: LockHolder) => void;
}

export interface IndexStore {
  /** Where the builds are, for messages: a folder, or a database (never with its password). */
  readonly location: string;
  /** The vector backend a build for this store is made with. */
  readonly backend: VectorBackend;
  /** The id of the current build, or null before the first; cheap, so servers poll it. */
  currentBuildId(): Promise<string | null>;
  /**
   * The current build, ready to query.
   * @throws NoIndexError before the first build; IndexLayoutError for one in an older layout.
   */
  open(): Promise<OpenIndex>;
  /**
   * Whether a build is still stored, for a server serving one that is no longer current (one it
   * could not switch to). Files: a server holds its whole build in memory, so always true.
   */
  hasBuild(buildId: string): Promise<boolean>;
  /** The current build's manifest, or null; any layout. */
  readManifest(): Promise<IndexManifest | null>;
  /** The current build's papers in any layout this project wrote, for a rebuild. */
  readStoredPapers(): Promise<{ papers: Paper[]; manifest: IndexManifest } | null>;
  /** Writes a complete build and makes it current (inside withWriteLock); returns where it went. */
  write(built: BuiltIndex, progress?: Progress): Promise<string>;
  /** Runs `fn` as the only writer. */
  withWriteLock<T>(fn: () => Promise<T>, options: LockOptions): Promise<T>;
  close(): Promise<void>;
}

/** Builds as folders under DATA_DIR/index, with a CURRENT pointer (index-dir.ts). */
export class FileStore implements IndexStore {
  readonly location: string;
  readonly backend: VectorBackend;

  constructor(private readonly config: Config) {
    this.location = config.dataDir;
    this.backend = backendNamed(config.vectorBackend);
  }

  currentBuildId = () => currentBuildId(this.config.dataDir);
  hasBuild = async () => true;
  open = () => openIndex(this.config);
  readManifest = () => readManifest(this.config.dataDir);
  readStoredPapers = () => readStoredPapers(this.config.dataDir);
  write = (built: BuiltIndex, progress?: Progress) => writeIndex(this.config.dataDir, built, progress);
  withWriteLock = <T>(fn: () => Promise<T>, options: LockOptions) => withIndexLock(this.config.dataDir, fn, options);
  close = async () => {};
}

/**
 * The store the configuration names: Postgres when DATABASE_URL is set, else DATA_DIR's folders.
 * @example const store = await openStore(config); const { corpus } = await store.open();
 */
export async function openStore(config: Config): Promise<IndexStore> {
  if (!config.database) return new FileStore(config);
  // Imported only when asked for: a single-user install never loads pg.
  const { PostgresStore } = await import('./postgres/postgres-store.js');
  return PostgresStore.connect(config);
}
