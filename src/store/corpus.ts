// The papers and chunks of one build, with what every query needs of them: the chunk table (as
// offsets into the papers' text, so no chunk text is stored twice), term statistics (idf), papers
// by id, and filter masks over chunk rows. The file store also keeps the BM25 postings here; the
// Postgres store keeps them in the database and gives the corpus only the term table. Built once
// by buildIndex or opened from a store; never changed afterwards (a new build is a new Corpus,
// swapped in whole).
import path from 'node:path';
import type { Chunk, Paper, SentenceSpan } from '../types.js';
import { displayName } from '../text/author-names.js';
import { chunkText } from './chunk-paper.js';
import { compileFilters, compileIdYearFilter, filterKey, foldText as fold, isEmptyFilter, needsWholePaper, type SearchFilters } from './filters.js';
import { LexicalIndex, type TermStats } from './lexical-index.js';
import { PaperTable } from './paper-table.js';
import type { IndexManifest } from './manifest.js';
import { readTables, writeTables } from './tables.js';

export type { TermStats } from './lexical-index.js';

export interface RowMask {
  /** 1 for each chunk row whose paper passes the filters. */
  mask: Uint8Array;
  count: number;
}

export interface ChunkTable {
  paperRow: Uint32Array;
  ordinal: Uint16Array;
  /** Chunk r's sentences are spans[2*spanStart[r] .. 2*spanStart[r+1]) as (start, end) pairs. */
  spanStart: Uint32Array;
  spans: Uint32Array;
}

const FILES = { chunks: 'chunks.bin', lexical: 'lexical.bin' };
const MASK_CACHE = 8;

export class Corpus {
  private readonly rowById = new Map<string, number>();
  /** Paper i's chunks are rows paperChunks[i] .. paperChunks[i+1]. */
  private readonly paperChunks: Uint32Array;
  private readonly masks = new Map<string, RowMask>();
  private haystacks?: string[];

  private constructor(
    readonly manifest: IndexManifest,
    private readonly paperTable: PaperTable,
    private readonly table: ChunkTable,
    readonly termStats: TermStats,
    /** BM25 postings in memory (the file store); undefined when a database holds them. */
    readonly lexical?: LexicalIndex,
  ) {
    paperTable.ids.forEach((id, i) => this.rowById.set(id, i));
    this.paperChunks = new Uint32Array(paperTable.count + 1);
    for (const row of table.paperRow) this.paperChunks[row + 1]++;
    for (let i = 0; i < paperTable.count; i++) this.paperChunks[i + 1] += this.paperChunks[i];
  }

  /** The build-time path: chunks in paper order, as chunkPaper made them. */
  static fromChunks(manifest: IndexManifest, papers: Paper[], chunks: Chunk[]): Corpus {
    const rowOf = new Map(papers.map((p, i) => [p.id, i]));
    if (rowOf.size !== papers.length) throw new Error('two papers share an id; merge them (mergePapers) before building the index');
    const spanCount = chunks.reduce((n, c) => n + c.sentences.length, 0);
    const table: ChunkTable = {
      paperRow: new Uint32Array(chunks.length),
      ordinal: new Uint16Array(chunks.length),
      spanStart: new Uint32Array(chunks.length + 1),
      spans: new Uint32Array(spanCount * 2),
    };
    let previous = -1;
    chunks.forEach((c, r) => {
      const row = rowOf.get(c.paperId);
      if (row === undefined || row < previous) throw new Error(`chunk ${c.id} is not in paper order`);
      previous = row;
      table.paperRow[r] = row;
      table.ordinal[r] = c.ordinal;
      table.spanStart[r + 1] = table.spanStart[r] + c.sentences.length;
      c.sentences.forEach((s, j) => table.spans.set([s.start, s.end], 2 * (table.spanStart[r] + j)));
    });
    const lexical = LexicalIndex.fromTexts(chunks.map((c) => c.text));
    return new Corpus(manifest, PaperTable.fromPapers(papers), table, lexical, lexical);
  }

  /** A corpus whose postings live elsewhere (a database): papers, the chunk table and the term table. */
  static fromTables(manifest: IndexManifest, papers: PaperTable, table: ChunkTable, termStats: TermStats): Corpus {
    if (table.paperRow.length !== manifest.counts.chunks || papers.count !== manifest.counts.papers) {
      throw new Error(`build ${manifest.buildId} does not match its manifest (${papers.count} papers, ${table.paperRow.length} chunks)`);
    }
    return new Corpus(manifest, papers, table, termStats);
  }

  static async open(dir: string, manifest: IndexManifest): Promise<Corpus> {
    const [papers, chunks, lexical] = await Promise.all([
      PaperTable.open(dir),
      readTables(path.join(dir, FILES.chunks)),
      LexicalIndex.open(path.join(dir, FILES.lexical)),
    ]);
    const a = chunks.arrays;
    const table = { paperRow: a.paperRow, ordinal: a.ordinal, spanStart: a.spanStart, spans: a.spans } as ChunkTable;
    if (table.paperRow.length !== manifest.counts.chunks || papers.count !== manifest.counts.papers) {
      throw new Error(`the build in ${dir} does not match its manifest (${papers.count} papers, ${table.paperRow.length} chunks)`);
    }
    return new Corpus(manifest, papers, table, lexical, lexical);
  }

  async save(dir: string): Promise<void> {
    if (!this.lexical) throw new Error('this corpus was opened without its postings; it cannot be saved as files');
    await Promise.all([
      this.paperTable.save(dir),
      writeTables(path.join(dir, FILES.chunks), {}, { ...this.table }),
      this.lexical.save(path.join(dir, FILES.lexical)),
    ]);
  }

  /** Every paper, as objects (parsed on first use: a query needs only the papers it retrieves). */
  get papers(): readonly Paper[] {
    return this.paperTable.all();
  }

  get paperCount(): number {
    return this.paperTable.count;
  }

  get chunkCount(): number {
    return this.table.paperRow.length;
  }

  /** The chunk table as arrays (what a store writes). */
  get chunkTable(): Readonly<ChunkTable> {
    return this.table;
  }

  paper(id: string): Paper | undefined {
    const row = this.rowById.get(id);
    return row === undefined ? undefined : this.paperTable.at(row);
  }

  paperOfRow(row: number): Paper {
    return this.paperTable.at(this.table.paperRow[row]);
  }

  /** The chunk at a row, made from the paper's text on demand. */
  chunk(row: number): Chunk {
    const { spanStart, spans, ordinal } = this.table;
    const paper = this.paperOfRow(row);
    const sentences: SentenceSpan[] = [];
    for (let j = spanStart[row]; j < spanStart[row + 1]; j++) sentences.push({ start: spans[2 * j], end: spans[2 * j + 1] });
    return { id: `${paper.id}#${ordinal[row]}`, paperId: paper.id, ordinal: ordinal[row], text: chunkText(paper, sentences), sentences };
  }

  chunksOf(paperId: string): Chunk[] {
    const row = this.rowById.get(paperId);
    if (row === undefined) return [];
    const out: Chunk[] = [];
    for (let r = this.paperChunks[row]; r < this.paperChunks[row + 1]; r++) out.push(this.chunk(r));
    return out;
  }

  /** Every chunk's embedded text, in row order (for building and re-using vectors). */
  chunkTexts(): string[] {
    return Array.from({ length: this.chunkCount }, (_, r) => this.chunk(r).text);
  }

  /** The chunk rows whose paper passes the filters; null when there are none. Cached per filter. */
  rowMask(filters: SearchFilters | undefined): RowMask | null {
    if (!filters || isEmptyFilter(filters)) return null;
    const key = filterKey(filters);
    let m = this.masks.get(key);
    if (!m) {
      const verdicts = this.paperVerdicts(filters);
      const mask = new Uint8Array(this.chunkCount);
      let count = 0;
      this.table.paperRow.forEach((paper, row) => (count += mask[row] = verdicts[paper]));
      m = { mask, count };
      if (this.masks.size >= MASK_CACHE) this.masks.delete(this.masks.keys().next().value!);
      this.masks.set(key, m);
    }
    return m;
  }

  /** 1 for each paper that passes; ids and years are read from the tables, other fields from the papers. */
  private paperVerdicts(f: SearchFilters): Uint8Array {
    const n = this.paperTable.count;
    if (needsWholePaper(f)) {
      const keep = compileFilters(f);
      return Uint8Array.from({ length: n }, (_, row) => (keep(this.paperTable.at(row)) ? 1 : 0));
    }
    const keep = compileIdYearFilter(f);
    return Uint8Array.from({ length: n }, (_, row) => (keep(this.paperTable.ids[row], this.paperTable.year(row)) ? 1 : 0));
  }

  /** The paper browser: papers passing the filters whose text contains `text`, newest first. */
  findPapers(filters: SearchFilters, text?: string): Paper[] {
    const keep = compileFilters(filters);
    // Every word must appear, in any order: "peer workers" finds "Peer Support Workers".
    const needles = text ? fold(text.trim()).split(/\s+/).filter(Boolean) : [];
    this.haystacks ??= this.papers.map((p) => fold([p.label, p.title ?? '', p.abstract ?? '', p.venue ?? '', ...p.authors.map(displayName)].join(' ')));
    const found = this.papers.filter((p, i) => keep(p) && needles.every((n) => this.haystacks![i].includes(n)));
    return found.sort((a, b) => (b.year ?? 0) - (a.year ?? 0) || a.label.localeCompare(b.label));
  }

  /** Bytes of title and abstract text held, for the memory figures in npm run bench. */
  textBytes(): number {
    return this.papers.reduce((n, p) => n + Buffer.byteLength(p.title ?? '') + Buffer.byteLength(p.abstract ?? ''), 0);
  }
}
