// `npm run ask -- "question"`: the cited answer in the terminal, from the same index and answerers
// the server uses. It opens the store directly; building an index is ingest's job (or npm start's).
import { parseArgs } from 'node:util';
import { loadConfig } from './config.js';
import { loadEmbeddingModel } from './embeddings/load-embedding-model.js';
import { openStore } from './store/index-store.js';
import { chunkingSignature, embeddingSignature, manifestMismatches } from './store/manifest.js';
import { partsFor } from './server/live-index.js';

const HELP = `Usage: npm run ask -- "question" [options]

Options:
  --json               print the full JSON result (as POST /api/ask returns it)
  --k <n>              papers to retrieve (default: $RETRIEVAL_K or 6)
  --year-from <year>   only papers from this year on
  --year-to <year>     only papers up to this year
  --author <text>      only papers with an author whose name contains this
  --mode <m>           extractive or llm (default: llm when LLM_BASE_URL and LLM_MODEL are set)
  --data-dir <dir>     where the index lives (default: $DATA_DIR or ./data), as for npm run ingest
  -h, --help           show this help`;

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      k: { type: 'string' },
      'year-from': { type: 'string' },
      'year-to': { type: 'string' },
      author: { type: 'string' },
      mode: { type: 'string' },
      'data-dir': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const question = positionals.join(' ').trim();
  const num = (v: string | undefined, name: string) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n)) throw new Error(`${name} must be a whole number, not "${v}"`);
    return n;
  };
  if (!question) {
    console.error(`No question given.\n\n${HELP}`);
    return 2;
  }
  if (values.mode && values.mode !== 'extractive' && values.mode !== 'llm') {
    console.error(`--mode must be extractive or llm, not "${values.mode}"`);
    return 2;
  }
  const config = loadConfig({ ...process.env, ...(values['data-dir'] ? { DATA_DIR: values['data-dir'] } : {}) });
  const loaded = await loadEmbeddingModel(config);
  const store = await openStore(config);
  try {
    const index = await store.open();
    const mismatches = manifestMismatches(index.corpus.manifest, embeddingSignature(loaded.info), chunkingSignature(config));
    if (mismatches.length) throw new Error(`the index was built differently (${mismatches.join('; ')}); run npm run ingest -- --rebuild`);
    const result = await partsFor(config, loaded, index).answerer.ask({
      question,
      k: num(values.k, '--k'),
      mode: values.mode as 'extractive' | 'llm' | undefined,
      filters: { yearFrom: num(values['year-from'], '--year-from'), yearTo: num(values['year-to'], '--year-to'), authors: values.author },
    });
    if (values.json) {
      console.log(JSON.stringify(result, null, 2));
      return 0;
    }
    console.log(`\n${result.answer}\n`);
    for (const c of result.citations) {
      const facts = [c.design, c.sampleSize].filter(Boolean).join(', ');
      console.log(`[${c.n}] ${c.label}${c.title ? `. ${c.title}` : ''}${c.venue ? `. ${c.venue}` : ''}${c.doi ? `. https://doi.org/${c.doi}` : ''}${facts ? ` (${facts})` : ''}`);
      if (c.quote) console.log(`    “${c.quote}”${c.supported ? '' : '  [not clearly supported]'}`);
    }
    if (result.closest?.length) console.log(`Closest papers: ${result.closest.map((p) => p.label).join('; ')}`);
    if (result.notice) console.log(`\nNote: ${result.notice}`);
    return 0;
  } finally {
    await store.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(`ask failed: ${(error as Error).message}`);
    process.exit(1);
  },
);
