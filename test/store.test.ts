// The store on a real index on disk: the corpus tables and BM25 postings survive a save and open
// unchanged, both vector backends (hnswlib, and LangChain's HNSWLib through the adapter) answer
// the same queries with filters given as data, and the exact scan for tight filters is exact.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEmbeddingModel, type LoadedEmbeddings } from '../src/embeddings/load-embedding-model.js';
import { buildIndex } from '../src/store/build-index.js';
import { chunkPaper } from '../src/store/chunk-paper.js';
import { openIndex, writeIndex, type OpenIndex } from '../src/store/index-dir.js';
import { Retriever } from '../src/retrieve/retriever.js';
import { HNSW_FILE, HnswIndex } from '../src/store/hnsw-index.js';
import hnswlib from 'hnswlib-node';
import type { Config } from '../src/config.js';
import type { Paper } from '../src/types.js';
import { fixture, papersFrom, SEED, tempDir, testConfig } from './helpers.js';

const tmp = tempDir();
let loaded: LoadedEmbeddings;
let papers: Paper[];
const configs: Record<string, Config> = {};
const built: Record<string, OpenIndex> = {};
const opened: Record<string, OpenIndex> = {};
const BACKENDS = ['hnsw', 'langchain-hnswlib'] as const;

beforeAll(async () => {
  const config = testConfig(path.join(tmp.dir, 'hnsw'));
  loaded = await loadEmbeddingModel(config);
  // One paper is in both the RIS and the CSV export; ingest merges it, and so does this.
  papers = [...new Map([SEED, fixture('sample.ris'), fixture('sample.nbib'), fixture('scopus.csv')].flatMap(papersFrom).map((p) => [p.id, p])).values()];
  for (const backend of BACKENDS) {
    configs[backend] = testConfig(path.join(tmp.dir, backend), { VECTOR_BACKEND: backend });
    built[backend] = await buildIndex(papers, loaded, { config: configs[backend] });
    await writeIndex(configs[backend].dataDir, built[backend]);
    opened[backend] = await openIndex(configs[backend]);
  }
});
afterAll(() => tmp.cleanup());

const query = (text: string) => loaded.embeddings.embedRaw([text]).then(([v]) => v);

describe('the corpus on disk', () => {
  it('keeps papers, chunks and their offsets, and rebuilds each chunk text from its paper', () => {
    const { corpus } = opened.hnsw;
    expect(corpus.papers).toEqual(papers);
    const expected = papers.flatMap((p) => chunkPaper(p, configs.hnsw.chunking));
    expect(corpus.chunkCount).toBe(expected.length);
    expect(Array.from({ length: corpus.chunkCount }, (_, r) => corpus.chunk(r))).toEqual(expected);
    const gilburt = papers.find((p) => p.label.startsWith('Gilburt'))!;
    expect(corpus.chunksOf(gilburt.id)).toEqual(expected.filter((c) => c.paperId === gilburt.id));
  });

  it('opens the BM25 postings as they were built: same idf, same hits, same scores', () => {
    const before = built.hnsw.corpus.lexical!;
    const after = opened.hnsw.corpus.lexical!;
    for (const term of ['peer', 'stigma', 'residenti', 'nothing-like-this']) expect(after.idf(term)).toBe(before.idf(term));
    for (const q of ['peer support stigma', 'residential alternatives to hospital', 'veterans']) expect(after.query(q, 10)).toEqual(before.query(q, 10));
  });

  it('each backend writes its own files under vectors/, once', () => {
    const files = (backend: string) => readdirSync(path.join(configs[backend].dataDir, 'index', 'builds', opened[backend].corpus.manifest.buildId, 'vectors')).sort();
    expect(files('hnsw')).toEqual(['hnsw.index']);
    expect(files('langchain-hnswlib')).toEqual(['args.json', 'docstore.json', 'hnswlib.index']);
    expect(opened['langchain-hnswlib'].vectors.backend).toBe('langchain-hnswlib');
  });
});

describe('hnsw: the graph walk under a filter', () => {
  it('finds what the exact scan finds when the filter is too loose for a scan', async () => {
    const { corpus } = opened.hnsw;
    const graph = new hnswlib.HierarchicalNSW('cosine', loaded.info.dims);
    await graph.readIndex(path.join(configs.hnsw.dataDir, 'index', 'builds', corpus.manifest.buildId, HNSW_FILE));
    graph.setEf(200);
    const walk = new HnswIndex(graph, corpus, loaded.info.dims, { maxRows: 0, maxShare: 0 });
    const scan = new HnswIndex(graph, corpus, loaded.info.dims);
    const q = await query('stigma among mental health service users');
    for (const filters of [{ yearFrom: 2015 }, { yearTo: 2015 }, { paperIds: papers.slice(0, 6).map((p) => p.id) }]) {
      const walked = await walk.search(q, 5, filters);
      expect(walked.length).toBeGreaterThan(0);
      expect(walked.map((h) => h.row)).toEqual((await scan.search(q, 5, filters)).map((h) => h.row));
    }
  });
});

describe.each(BACKENDS)('the %s backend, opened from disk', (backend) => {
  it('finds the same nearest chunks as the index it was built as, and as an exact scan', async () => {
    const q = await query('residential alternatives to hospital admission');
    const before = await built[backend].vectors.search(q, 5);
    const after = await opened[backend].vectors.search(q, 5);
    expect(after.map((h) => h.row)).toEqual(before.map((h) => h.row));
    // Ground truth from the stored vectors themselves.
    const { corpus, vectors } = opened.hnsw;
    const stored = await vectors.vectors!(Array.from({ length: corpus.chunkCount }, (_, row) => row));
    const exact = stored.map((v, row) => ({ row, s: v.reduce((sum, x, j) => sum + x * q[j], 0) })).sort((a, b) => b.s - a.s);
    expect(after[0].row).toBe(exact[0].row);
    expect(after[0].similarity).toBeCloseTo(exact[0].s, 4);
    expect(corpus.paperOfRow(after[0].row).label).toMatch(/^Gilburt/);
  });

  it('applies filters given as data: paper ids, year range, design', async () => {
    const { corpus, vectors } = opened[backend];
    const q = await query('peer support and stigma');
    const two = [papers[0].id, papers[3].id];
    const byIds = await vectors.search(q, 10, { paperIds: two });
    expect(byIds.length).toBeGreaterThan(0);
    expect(byIds.every((h) => two.includes(corpus.paperOfRow(h.row).id))).toBe(true);
    const recent = await vectors.search(q, 10, { yearFrom: 2018 });
    expect(recent.every((h) => (corpus.paperOfRow(h.row).year ?? 0) >= 2018)).toBe(true);
    const design = papers.find((p) => p.design)!.design!;
    const ofDesign = await vectors.search(q, 10, { design });
    expect(ofDesign.length).toBeGreaterThan(0);
    expect(ofDesign.every((h) => corpus.paperOfRow(h.row).design === design)).toBe(true);
    expect(await vectors.search(q, 10, { paperIds: ['no-such-paper'] })).toEqual([]);
  });

  it('serves the retriever end to end', async () => {
    const [top] = await new Retriever(opened[backend], loaded.embeddings).retrieve('peer support specialists phases of employment', { k: 3 });
    expect(top.paper.label).toMatch(/^Poremski/);
  });
});
