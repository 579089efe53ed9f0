// The parts the server answers with, swapped whole when a new build appears. A request takes the
// current parts once (`parts()`) and finishes on them, so a swap never mixes two builds inside one
// answer, and the new build is opened completely before anyone sees it. The watcher reads the
// store's current-build pointer every INDEX_POLL_MS (the one-line CURRENT file, or one row in
// Postgres): cheap, and reliable where fs.watch on a renamed file is not, and the same for every
// server on a shared database. A build the server cannot use (another embedding model) is
// reported, not served.
import type { Config } from '../config.js';
import type { ProgressEvent } from '../progress.js';
import type { LoadedEmbeddings, EmbeddingModelInfo } from '../embeddings/load-embedding-model.js';
import { IndexNotReadyError } from '../errors.js';
import { AnswerService } from '../answer/answer-service.js';
import { Retriever } from '../retrieve/retriever.js';
import type { Corpus } from '../store/corpus.js';
import { IndexLayoutError, NoIndexError, type OpenIndex } from '../store/index-dir.js';
import { openStore, type IndexStore } from '../store/index-store.js';
import { chunkingSignature, embeddingSignature, manifestMismatches } from '../store/manifest.js';

export interface ServingParts {
  corpus: Corpus;
  retriever: Retriever;
  answerer: AnswerService;
}

export type ServingStatus = 'starting' | 'building' | 'ready' | 'error';

export interface ServingHealth {
  status: ServingStatus;
  message?: string;
  model?: EmbeddingModelInfo;
  corpus?: Corpus;
  /** Builds swapped in after the first one. */
  reloads: number;
  /** While the server builds its index: the stage in hand ("embedding", 120 of 480 chunks). */
  progress?: BuildProgress;
}

export interface BuildProgress {
  stage: string;
  done: number;
  total: number;
  unit: string;
}

/** What the app needs from whatever holds the parts: the parts for a request, and the state for /api/health. */
export interface Serving {
  parts(): ServingParts;
  health(): ServingHealth;
  /** Resolves once parts() can answer, or the start failed, or `ms` passed (callers then get parts()'s error). */
  whenReady?(ms: number): Promise<void>;
  /** Looks for a new build now rather than at the next poll (after an upload's ingest). */
  refresh?(): Promise<unknown>;
}

/** The parts for one opened build. */
export function partsFor(config: Config, loaded: LoadedEmbeddings, index: OpenIndex): ServingParts {
  const retriever = new Retriever(index, loaded.embeddings, { denseWeight: config.retrievalDenseWeight });
  return { corpus: index.corpus, retriever, answerer: new AnswerService({ config, corpus: index.corpus, retriever }) };
}

/** Fixed parts, for a CLI or a test that opened a build itself. */
export function fixedServing(parts: ServingParts, model?: EmbeddingModelInfo): Serving {
  return { parts: () => parts, health: () => ({ status: 'ready', model, corpus: parts.corpus, reloads: 0 }) };
}

/** Why the live build cannot be served as it is, and so must be built or rebuilt first. */
export type OpenOutcome = { ready: true } | { ready: false; build: 'new' | 'rebuild'; reason: string };

export class LiveIndex implements Serving {
  private current?: ServingParts;
  private status: ServingStatus = 'starting';
  private message?: string = 'loading the embedding model';
  private model?: Promise<LoadedEmbeddings>;
  private loaded?: LoadedEmbeddings;
  private reloads = 0;
  private timer?: NodeJS.Timeout;
  private checking?: Promise<OpenOutcome>;
  /** A build id that was found unusable, so the watcher does not reopen it every tick. */
  private refused?: string;
  private refusedReason?: string;
  /** Why the last check failed (the database is unreachable, say), until one succeeds. */
  private checkError?: string;
  private closed = false;
  private store?: Promise<IndexStore>;
  private progress?: BuildProgress;

  constructor(
    private readonly config: Config,
    private readonly log: (line: string) => void = console.log,
  ) {}

  parts(): ServingParts {
    if (this.current) return this.current;
    throw new IndexNotReadyError(
      this.status === 'error'
        ? `The index could not be loaded: ${this.message}`
        : 'The index is still being built; try again in a few seconds (GET /api/health shows progress).',
    );
  }

  async whenReady(ms: number): Promise<void> {
    const end = Date.now() + ms;
    while (!this.current && this.status !== 'error' && Date.now() < end) await new Promise((r) => setTimeout(r, 25));
  }

  health(): ServingHealth {
    // Serving, but the last check failed (the database is unreachable): say so until one succeeds.
    const failing = this.current && this.checkError;
    const status = failing ? 'error' : this.current ? 'ready' : this.status;
    return {
      status,
      message: failing ? this.checkError : this.message,
      model: this.loaded?.info,
      corpus: this.current?.corpus,
      reloads: this.reloads,
      progress: this.current ? undefined : this.progress,
    };
  }

  /** The first build's progress, read from the ingest command it runs. */
  reportProgress(event: ProgressEvent): void {
    if (event.type === 'stage') this.progress = { stage: event.stage, done: event.done, total: event.total, unit: event.unit };
  }

  /** A check that starts now: one already in flight may have read the pointer before the new build. */
  async refresh(): Promise<OpenOutcome> {
    await this.checking?.catch(() => {});
    return this.check();
  }

  /** The embedding model, or the promise of it: the first build is opened while the model loads. */
  setModel(model: LoadedEmbeddings | Promise<LoadedEmbeddings>): void {
    this.model = Promise.resolve(model).then((loaded) => (this.loaded = loaded));
    // A failure surfaces where the model is awaited (check()); until then it is not "unhandled".
    // Without a model no build can be served, so the watcher stops rather than fail every tick.
    this.model.catch(() => this.close());
  }

  /** While nothing is served yet: what is happening (building, or why it failed). */
  report(status: Exclude<ServingStatus, 'ready'>, message: string): void {
    this.status = status;
    this.message = message;
  }

  /** Opens the build CURRENT names, when it is new, and swaps it in. One check at a time. */
  check(): Promise<OpenOutcome> {
    this.checking ??= this.openCurrent().finally(() => (this.checking = undefined));
    return this.checking;
  }

  /** The store, connected on first use; a failed connection is retried on the next check. */
  private connect(): Promise<IndexStore> {
    this.store ??= openStore(this.config).catch((error) => {
      this.store = undefined;
      throw error;
    });
    return this.store;
  }

  private async openCurrent(): Promise<OpenOutcome> {
    if (!this.model) throw new Error('LiveIndex.check() before setModel()');
    // The model first: a build is only worth opening when there is a model to serve it with.
    const loaded = await this.model;
    const store = await this.connect();
    let id: string | null;
    let index: OpenIndex | undefined;
    for (;;) {
      id = await store.currentBuildId();
      if (this.current && id === this.current.corpus.manifest.buildId) return { ready: true };
      // A build that could not be served is not reopened every tick; a new build is tried afresh.
      if (id && id === this.refused) return this.current ? this.stillServable(store) : { ready: false, build: 'rebuild', reason: this.message ?? 'the index cannot be used' };
      try {
        index = await store.open();
        break;
      } catch (error) {
        // An ingest replaced the build while it was being read (its folder or tables are gone, or
        // the pointer names another by now): open the one it names now.
        if ((await store.currentBuildId()) !== id) continue;
        if (error instanceof NoIndexError) return this.current ? { ready: true } : { ready: false, build: 'new', reason: error.message };
        if (error instanceof IndexLayoutError) return this.refuse(store, id, error.message);
        // A database error (too many clients, a restart) passes: the next check tries again. Only
        // a build folder that cannot be read is a reason to rebuild.
        if (this.config.database) throw error;
        return this.refuse(store, id, `it could not be read (${(error as Error).message})`);
      }
    }
    const built = index.corpus.manifest.buildId;
    const mismatches = manifestMismatches(index.corpus.manifest, embeddingSignature(loaded.info), chunkingSignature(this.config));
    if (mismatches.length) return this.refuse(store, built, `the index was built differently (${mismatches.join('; ')})`);
    const first = !this.current;
    this.current = partsFor(this.config, loaded, index);
    this.status = 'ready';
    this.message = undefined;
    this.refused = undefined;
    if (!first) this.reloads++;
    const m = index.corpus.manifest;
    this.log(`${first ? 'Index ready' : 'Switched to a new build'}: ${m.counts.papers} papers, ${m.counts.chunks} chunks, built ${m.builtAt}, model ${loaded.info.modelId}${loaded.info.offline ? ' (offline fallback)' : ''}, answerer ${this.current.answerer.defaultMode}.`);
    return { ready: true };
  }

  private async refuse(store: IndexStore, id: string | null, reason: string): Promise<OpenOutcome> {
    this.refused = id ?? undefined;
    this.refusedReason = reason;
    if (this.current) {
      // Keep answering from the build in memory; say why the new one is not used.
      this.message = this.config.database
        ? `A new build was found but not used: ${reason}. This server's settings differ from the library's; restart it with the library's settings.`
        : `A new build was found but not used: ${reason}. Restart the server to rebuild it.`;
      this.log(this.message);
      return this.stillServable(store);
    }
    this.message = reason;
    return { ready: false, build: 'rebuild', reason };
  }

  /**
   * While a newer build is refused, the one being served must still exist: a database keeps only
   * the current build and the one before it, so after two more ingests this server has nothing left
   * to answer from, and says so rather than fail every request.
   */
  private async stillServable(store: IndexStore): Promise<OpenOutcome> {
    if (!this.current || (await store.hasBuild(this.current.corpus.manifest.buildId))) return { ready: true };
    this.current = undefined;
    this.status = 'error';
    this.message = `The build this server was answering from is gone from ${store.location}, and the current one cannot be used here: ${this.refusedReason}. Restart this server with the library's settings.`;
    this.log(this.message);
    return { ready: false, build: 'rebuild', reason: this.message };
  }

  /** Polls the store's pointer and swaps in each new build; failures are logged once and retried on the next tick. */
  watch(): void {
    if (this.config.indexPollMs <= 0 || this.timer || this.closed) return;
    // A failure is said once, not every tick (a database down for a minute would fill the log),
    // and /api/health reports it until a check succeeds.
    this.timer = setInterval(() => {
      this.check().then(
        () => (this.checkError = undefined),
        (error) => {
          const line = `Could not check for a new build: ${(error as Error).message}`;
          if (line !== this.checkError) this.log(line);
          this.checkError = line;
        },
      );
    }, this.config.indexPollMs);
    this.timer.unref();
  }

  close(): void {
    this.closed = true;
    clearInterval(this.timer);
    this.timer = undefined;
    void this.store?.then((s) => s.close()).catch(() => {});
    this.store = undefined;
  }
}
