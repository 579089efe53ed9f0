// The papers of a build as one JSON-lines file, read into one buffer and parsed a paper at a time
// when a query first touches it. Opening 10k papers costs one read instead of parsing 20 MB of JSON
// into objects, and a server holds as objects only the papers it has answered from. Ids and years,
// which filters need for every paper, sit beside the lines in papers.bin, ready without parsing.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Paper } from '../types.js';
import { readTables, writeTables } from './tables.js';

const LINES = 'papers.jsonl';
const TABLE = 'papers.bin';
/** Int16 stand-in for a paper without a year. */
const NO_YEAR = -32768;

export class PaperTable {
  private readonly cache: Array<Paper | undefined>;
  private everything?: Paper[];

  private constructor(
    readonly ids: readonly string[],
    private readonly years: Int16Array,
    private readonly parse: (row: number) => Paper,
    papers?: Paper[],
  ) {
    this.cache = papers ? [...papers] : new Array(ids.length);
    if (papers) this.everything = papers;
  }

  static fromPapers(papers: Paper[]): PaperTable {
    const years = Int16Array.from(papers, (p) => p.year ?? NO_YEAR);
    return new PaperTable(papers.map((p) => p.id), years, (row) => papers[row], papers);
  }

  /** Papers as JSON lines read from elsewhere (a database), parsed when first used. */
  static fromLines(ids: string[], years: Array<number | null>, lines: string[]): PaperTable {
    return new PaperTable(ids, Int16Array.from(years, (y) => y ?? NO_YEAR), (row) => JSON.parse(lines[row]) as Paper);
  }

  static async open(dir: string): Promise<PaperTable> {
    const [lines, { meta, arrays }] = await Promise.all([readFile(path.join(dir, LINES)), readTables<{ ids: string[] }>(path.join(dir, TABLE))]);
    const offsets = arrays.offsets as Uint32Array;
    return new PaperTable(meta.ids, arrays.years as Int16Array, (row) => JSON.parse(lines.toString('utf8', offsets[row], offsets[row + 1])) as Paper);
  }

  async save(dir: string): Promise<void> {
    const lines = this.all().map((p) => `${JSON.stringify(p)}\n`);
    const offsets = new Uint32Array(lines.length + 1);
    lines.forEach((l, i) => (offsets[i + 1] = offsets[i] + Buffer.byteLength(l)));
    await Promise.all([writeFile(path.join(dir, LINES), lines.join('')), writeTables(path.join(dir, TABLE), { ids: this.ids }, { offsets, years: this.years })]);
  }

  get count(): number {
    return this.ids.length;
  }

  at(row: number): Paper {
    return (this.cache[row] ??= this.parse(row));
  }

  year(row: number): number | null {
    return this.years[row] === NO_YEAR ? null : this.years[row];
  }

  /** Every paper as an object (the paper browser, a re-ingest); parsed once, then kept. */
  all(): Paper[] {
    return (this.everything ??= this.ids.map((_, row) => this.at(row)));
  }
}
