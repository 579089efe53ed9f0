// Brings the server from nothing to ready: load the embedding model, then open the index — building
// it from the bundled corpus on first run, or re-embedding the stored papers when the index was
// built with another model or chunking (never answering from mismatched vectors).
import { existsSync } from 'node:fs';
import type { Config } from '../config.js';
import { loadEmbeddingModel, type LoadedEmbeddings } from '../embeddings/load-embedding-model.js';
import { createProgress, type Progress } from '../progress.js';
import { Retriever } from '../retrieve/retriever.js';
import { manifestMismatches, readIndex, readManifest, type StoredIndex } from '../store/index-store.js';
import { AnswerService } from '../answer/answer-service.js';
import { buildIndex, chunkingSignature, embeddingSignature } from '../../ingest/build-index.js';
import type { ServerState } from './app.js';

export interface OpenedIndex {
  index: StoredIndex;
  loaded: LoadedEmbeddings;
  rebuilt: 'new' | 'mismatch' | null;
}

/**
 * Opens the index in config.dataDir, building or rebuilding it when needed.
 * @example const { index } = await openOrBuildIndex(config, loaded, console.log);
 */
export async function openOrBuildIndex(config: Config, loaded: LoadedEmbeddings, log: (line: string) => void, progress?: Progress): Promise<OpenedIndex> {
  const manifest = await readManifest(config.dataDir);
  let rebuilt: OpenedIndex['rebuilt'] = null;
  if (!manifest) {
    if (!existsSync(config.corpusPath)) throw new Error(`No index in ${config.dataDir} and the corpus ${config.corpusPath} does not exist. Run npm run ingest -- <files>.`);
    log(`No index in ${config.dataDir}: building one from ${config.corpusPath}…`);
    await buildIndex({ config, files: [config.corpusPath], loaded, progress });
    rebuilt = 'new';
  } else {
    const mismatches = manifestMismatches(manifest, embeddingSignature(loaded), chunkingSignature(config));
    if (mismatches.length) {
      log(`The index was built differently (${mismatches.join('; ')}): re-embedding its ${manifest.counts.papers} papers with ${loaded.info.modelId}…`);
      await buildIndex({ config, files: [], loaded, progress });
      rebuilt = 'mismatch';
    }
  }
  const index = await readIndex(config.dataDir, loaded.embeddings, config.hnsw.efSearch);
  if (!index) throw new Error(`The index in ${config.dataDir} could not be read after building it.`);
  return { index, loaded, rebuilt };
}

/** Fills `state` step by step, so /api/health can report progress while this runs. */
export async function bootstrap(
  config: Config,
  state: ServerState,
  { log = console.log, progress = createProgress() }: { log?: (line: string) => void; progress?: Progress } = {},
): Promise<void> {
  try {
    state.status = 'starting';
    state.message = 'loading the embedding model';
    const loaded = await loadEmbeddingModel(config);
    state.model = loaded.info;
    state.status = 'building';
    state.message = 'opening the index';
    const { index } = await openOrBuildIndex(config, loaded, log, progress);
    const retriever = new Retriever(index, loaded.embeddings, { denseWeight: config.retrievalDenseWeight });
    state.retriever = retriever;
    state.manifest = index.manifest;
    state.service = new AnswerService({ config, retriever });
    state.status = 'ready';
    state.message = undefined;
    log(`Index ready: ${index.manifest.counts.papers} papers, ${index.manifest.counts.chunks} chunks, model ${loaded.info.modelId}${loaded.info.offline ? ' (offline fallback)' : ''}, answerer ${state.service.defaultMode}.`);
  } catch (error) {
    state.status = 'error';
    state.message = (error as Error).message;
    log(`Could not open the index: ${(error as Error).message}`);
    throw error;
  }
}
