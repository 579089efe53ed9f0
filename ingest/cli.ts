// `npm run ingest -- <files…>`: builds or updates the index and prints what it found.
import { parseArgs } from 'node:util';
import { BUNDLED_CORPUS, loadConfig, OFFLINE_MODEL_ID } from '../src/config.js';
import { loadEmbeddingModel, type EmbeddingModelInfo } from '../src/embeddings/load-embedding-model.js';
import { createProgress, silentProgress, withJsonProgress } from '../src/progress.js';
import { ingestFiles, ingestIfEmpty, type BuildReport } from './ingest-files.js';
import { SUPPORTED_EXTENSIONS } from './parse-source.js';

const HELP = `Usage: npm run ingest -- [options] <file…>

Parses abstracts from export files, embeds them locally and builds (or updates) the search index.

Formats (detected from the content, then the extension):
  RIS (.ris), BibTeX (.bib), PubMed MEDLINE (.nbib/.txt) and XML (.xml), Web of Science plain text,
  CSV/TSV with a header row (Scopus, Web of Science), JSON, JSONL and CSL-JSON (Zotero),
  and the bundled listing format (ingest/corpus/seed-abstracts.txt).

Options:
  --replace          rebuild from these files only, dropping what the index held
  --bundled          also ingest the bundled corpus (${BUNDLED_CORPUS})
  --rebuild          rebuild the index from the papers it holds (no files needed): after changing
                     the embedding model or chunking, or for an index in an older on-disk layout
  --data-dir <dir>   where the index lives (default: $DATA_DIR or ./data); with DATABASE_URL
                     set, the index lives in that Postgres database and this holds only caches
  --no-papers        do not list each paper (progress and the summary still print)
  --quiet            print only warnings, errors and the summary (no paper list, no progress)
  --json             print the summary as one JSON object on stdout (counts, files and their
                     errors, timings per stage); progress and warnings still go to stderr
  --progress-fd <n>  also write progress as JSON lines to file descriptor n (for a parent
                     process: the server's page uploads read fd 3)
  --no-wait          fail at once, rather than wait, when another ingest is writing this index
  --if-empty         ingest only if there is no index yet (what npm start runs on first use, so
                     several servers starting on one empty database build it once)
  -h, --help         show this help

Re-ingesting a paper (same DOI, PMID, or title and year) updates it; it is never duplicated.
One ingest writes an index at a time: a second one waits for the first (--no-wait to fail
instead), then adds its papers to what the first wrote. The previous index stays intact until
the new one is completely written; a running server (every server on the same DATABASE_URL)
switches to the new one by itself within a second or so (INDEX_POLL_MS).
Exit status: 0 when every file and record was read, 1 when some were skipped (the rest are in
the index; when not one paper could be read, the index is left as it was, not rewritten), 2 on a usage or configuration error, 3 when the ingest failed and the index was left
as it was, 130 on Ctrl-C (143 on SIGTERM): rerun the same command to resume.

Extensions recognised: ${SUPPORTED_EXTENSIONS.join(' ')}`;

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({
      allowPositionals: true,
      options: {
        replace: { type: 'boolean', default: false },
        bundled: { type: 'boolean', default: false },
        rebuild: { type: 'boolean', default: false },
        'data-dir': { type: 'string' },
        quiet: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        'progress-fd': { type: 'string' },
        'no-papers': { type: 'boolean', default: false },
        'no-wait': { type: 'boolean', default: false },
        'if-empty': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${HELP}`);
    return 2;
  }
  const { values, positionals } = args;
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const files = [...(values.bundled ? [BUNDLED_CORPUS] : []), ...positionals];
  if (files.length === 0 && !values.rebuild) {
    console.error(`No input files.\n\n${HELP}`);
    return 2;
  }
  const progressFd = values['progress-fd'] === undefined ? undefined : Number(values['progress-fd']);
  if (progressFd !== undefined && !(Number.isInteger(progressFd) && progressFd > 2)) {
    console.error(`--progress-fd takes a file descriptor number above 2, not "${values['progress-fd']}".`);
    return 2;
  }
  const shown = values.quiet ? silentProgress : createProgress();
  const progress = progressFd === undefined ? shown : withJsonProgress(shown, progressFd);
  let config;
  try {
    config = loadConfig({ ...process.env, ...(values['data-dir'] ? { DATA_DIR: values['data-dir'] } : {}) });
  } catch (error) {
    console.error((error as Error).message);
    return 2;
  }
  // Ctrl-C stops the ingest after the batch in hand, so the checkpoint, the write lock (or the
  // database's write lease) and the model are let go in order; a second Ctrl-C exits at once.
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    process.on(signal, () => {
      if (interrupt.signal.aborted) process.exit(code); // the checkpoint flushes what it holds on exit
      interrupted = { code };
      progress.stop();
      console.error('\nStopping after the current batch (Ctrl-C again to stop at once)…');
      interrupt.abort();
    });
  }
  const loaded = await loadEmbeddingModel(config, {
    onDownload: (() => {
      let shown = '';
      return (p) => {
        if (p.file !== shown) {
          shown = p.file;
          progress.start(`download ${p.file}`, p.total, 'bytes');
        }
        progress.update(p.loaded);
      };
    })(),
  });
  progress.stop();
  const chosenOffline = loaded.info.wanted === OFFLINE_MODEL_ID;
  if (!values.quiet) console.error(`Embedding model: ${loaded.info.modelId}${loaded.info.offline ? (chosenOffline ? ' (the offline model)' : ' (offline fallback model)') : ''}, ${loaded.info.dims} dims, ${loaded.info.dtype}`);
  if (loaded.info.offline && config.embedding.dtype !== 'fp32') console.error(`warning: EMBEDDING_DTYPE=${config.embedding.dtype} does not apply to the offline model, which has only fp32.`);

  const ingest = values['if-empty'] ? ingestIfEmpty : ingestFiles;
  const report = await ingest({
    signal: interrupt.signal,
    config,
    files,
    loaded,
    replace: values.replace,
    wait: !values['no-wait'],
    // Through the progress, so a parent reading --progress-fd (an upload job) hears why it waits.
    onWait: (message) => (values.quiet && progressFd === undefined ? console.error(message) : progress.note(message)),
    progress,
    onPaper: values.quiet || values.json || values['no-papers']
      ? undefined
      : (paper) => {
          const facts = [paper.design, paper.sampleSize].filter(Boolean).join(', ');
          const text = paper.hasText ? (paper.abstract ? '' : ' [title only]') : ' [no title or abstract]';
          console.log(`  ${paper.label}${paper.title ? ` — ${paper.title}` : ''}${facts ? ` (${facts})` : ''}${text}`);
        },
  });

  const exitCode = report && report.skipped > 0 ? 1 : 0;
  if (report) {
    if (report.reembedReason) console.error(`Re-embedded every paper: ${report.reembedReason}.`);
    for (const w of report.warnings) console.error(`warning: ${w}`);
    for (const f of report.files) for (const e of f.errors) console.error(`error: ${e.message}`);
  }
  if (values.json) {
    console.log(JSON.stringify(report ? jsonSummary(report, loaded.info, exitCode) : { ok: true, built: false, exitCode: 0, reason: 'an index exists already' }));
    return exitCode;
  }
  if (!report) {
    console.log('An index exists already (another process built it meanwhile); nothing to do.');
    return 0;
  }
  const m = report.manifest;
  console.log(
    [
      '',
      report.files.length === 0
        ? `Rebuilt the index from the ${m.counts.papers} papers it held.`
        : `Ingested ${report.ingested} paper${report.ingested === 1 ? '' : 's'} from ${report.files.length} file${report.files.length === 1 ? '' : 's'}: ${report.added} new, ${report.updated} updated, ${report.skipped} skipped${report.noText ? `, ${report.noText} with no title or abstract (kept as bibliographic entries, not searchable)` : ''}.`,
      ...report.files.map((f) => `  ${f.file}: ${f.format ?? 'unreadable'}, ${f.records} records${f.errors.length ? `, ${f.errors.length} skipped` : ''}`),
      ...(report.chunksResumed ? [`Resumed: ${report.chunksResumed} of ${report.chunksResumed + report.chunksEmbedded} chunks already embedded by an interrupted run.`] : []),
      report.written
        ? `Index: ${m.counts.papers} papers (${m.counts.papersWithText} with text), ${m.counts.chunks} chunks (${report.chunksEmbedded} embedded, ${report.chunksReused} reused${report.chunksResumed ? `, ${report.chunksResumed} resumed` : ''}) in ${(m.buildMs / 1000).toFixed(1)} s`
        : `Index unchanged: ${m.counts.papers} papers (${m.counts.papersWithText} with text), ${m.counts.chunks} chunks`,
      report.written ? `Written to ${report.buildDir}` : 'Not one paper could be read from these files, so the index was left as it was.',
    ].join('\n'),
  );
  return exitCode;
}

/** What --json prints: everything the text summary says, as data. */
function jsonSummary(report: BuildReport, model: EmbeddingModelInfo, exitCode: number) {
  const m = report.manifest;
  const ms = (v: number) => Math.round(v);
  return {
    // ok: every file and record was read (exit 0); built: a new index was written (false when not
    // one paper could be read from the files, so the index was left as it was).
    ok: exitCode === 0,
    built: report.written,
    exitCode,
    ingested: report.ingested,
    added: report.added,
    updated: report.updated,
    skipped: report.skipped,
    noText: report.noText,
    files: report.files.map((f) => ({ file: f.file, format: f.format, records: f.records, noText: f.noText, errors: f.errors.map((e) => ({ message: e.message, line: e.line ?? null })) })),
    chunks: { total: m.counts.chunks, embedded: report.chunksEmbedded, reused: report.chunksReused, resumed: report.chunksResumed },
    reembedReason: report.reembedReason,
    warnings: report.warnings,
    index: { buildId: m.buildId, location: report.buildDir, papers: m.counts.papers, papersWithText: m.counts.papersWithText, chunks: m.counts.chunks },
    embedding: { model: model.modelId, offline: model.offline, dtype: model.dtype, dims: model.dims },
    timings: Object.fromEntries(Object.entries(report.timings).map(([k, v]) => [k, ms(v)])),
    totalMs: ms((report.written ? m.buildMs : 0) + report.timings.parseMs + report.timings.mergeMs + report.timings.writeMs),
  };
}

const asJson = process.argv.includes('--json');
const interrupt = new AbortController();
let interrupted: { code: number } | null = null;
/** Exits once stdout and stderr are written out: into a pipe (a server's upload job) process.exit would cut them short. */
const exit = (code: number) => {
  let open = 2;
  const done = () => --open === 0 && process.exit(code);
  process.stdout.write('', done);
  process.stderr.write('', done);
};
main().then(
  (code) => exit(code),
  (error) => {
    if (interrupted) {
      const message = 'Interrupted. No partial index is ever served; the chunks embedded so far are kept in the checkpoint, so running the same command again resumes from them.';
      if (asJson) console.log(JSON.stringify({ ok: false, exitCode: interrupted.code, error: message }));
      console.error(message);
      exit(interrupted.code);
      return;
    }
    if (asJson) console.log(JSON.stringify({ ok: false, exitCode: 3, error: (error as Error).message }));
    console.error(`ingest failed: ${(error as Error).message}`);
    exit(3);
  },
);
