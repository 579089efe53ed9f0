// CSV/TSV with a header row: our own column names, Scopus exports (Title, Abstract, Authors, Year,
// DOI, Source title, Author full names), Embase exports (Author Names, Source with the year and
// issue inside it, the DOI inside Open URL Link) and Web of Science tab-delimited exports (TI, AB,
// AU, PY…).
import { parse } from 'csv-parse/sync';
import type { Author, RawPaper } from '../../src/types.js';
import { ParseError } from '../../src/errors.js';
import { parseAuthorList, parseAuthorName } from './authors.js';
import { doiOf, pagesOf, yearOf } from './tagged-records.js';

const COLUMNS: Record<string, string[]> = {
  title: ['title', 'article title', 'document title', 'ti'],
  abstract: ['abstract', 'ab', 'abstract note', 'abstractnote'],
  authorsFull: ['author full names', 'af'],
  authors: ['authors', 'author', 'au', 'creators', 'author names'],
  year: ['year', 'publication year', 'py', 'date', 'pub year'],
  doi: ['doi', 'di'],
  venue: ['source title', 'journal', 'publication title', 'so', 'venue', 'source'],
  volume: ['volume', 'vl'],
  issue: ['issue', 'is'],
  pageStart: ['page start', 'bp'],
  pageEnd: ['page end', 'ep'],
  pages: ['pages', 'page', 'pg'],
  url: ['link', 'url'],
  openUrl: ['open url link'],
  pmid: ['pubmed id', 'pmid', 'pm'],
};

/** Scopus writes "Mak W.W.S.; Fu A.C.M." (new) or "Mak, W.W.S., Fu, A.C.M." (old); full names carry "(id)". */
function authorsFrom(full: string | undefined, short: string | undefined): Author[] {
  const raw = (full || short || '').replace(/\s*\(\d+\)/g, '');
  if (!raw.trim()) return [];
  if (raw.includes(';')) return parseAuthorList(raw);
  const pieces = raw.split(/,\s*/);
  // Embase: "Liu R., Adler D.G.", each name its family then its initials.
  const embase = pieces.map((p) => p.trim().match(/^(.+?)\s+((?:\p{Lu}\.-?\s?)+)$/u));
  if (pieces.length >= 1 && embase.every((m) => m)) return embase.map((m) => ({ family: m![1], given: m![2].trim() }));
  // Old Scopus style alternates family and initials: "Mak, W.W.S., Fu, A.C.M."
  if (pieces.length >= 2 && pieces.length % 2 === 0 && pieces.every((p, i) => i % 2 === 0 || /^([A-Z]\.?-?\s?)+$/.test(p))) {
    const out: Author[] = [];
    for (let i = 0; i < pieces.length; i += 2) out.push({ family: pieces[i].trim(), given: pieces[i + 1].trim() });
    return out;
  }
  const one = parseAuthorName(raw);
  return one ? [one] : [];
}

export function parseCsv(content: string, file: string): RawPaper[] {
  const header = content.slice(0, content.indexOf('\n') >>> 0);
  const delimiter = (header.match(/\t/g)?.length ?? 0) > (header.match(/,/g)?.length ?? 0) ? '\t' : ',';
  let rows: string[][];
  try {
    rows = parse(content, { delimiter, bom: true, relax_column_count: true, relax_quotes: delimiter === '\t', skip_empty_lines: true });
  } catch (error) {
    const e = error as Error & { lines?: number };
    throw new ParseError(file, e.message.replace(/^Invalid Record Length: |^CsvError: /, ''), e.lines);
  }
  if (rows.length === 0) return [];
  const names = rows[0].map((h) => h.trim().toLowerCase());
  const index: Record<string, number> = {};
  for (const [field, aliases] of Object.entries(COLUMNS)) {
    const at = names.findIndex((n) => aliases.includes(n));
    if (at >= 0) index[field] = at;
  }
  if (index.title === undefined && index.abstract === undefined) {
    throw new ParseError(file, `no Title or Abstract column in the header (found: ${rows[0].slice(0, 8).join(', ')})`, 1);
  }
  const cell = (row: string[], field: string) => {
    const at = index[field];
    const v = at === undefined ? undefined : row[at]?.trim();
    return v ? v : undefined;
  };
  return rows.slice(1).map((row, i) => {
    const source = citationInSource(cell(row, 'venue'));
    return {
      line: i + 2,
      title: cell(row, 'title') ?? null,
      abstract: cleanPlaceholder(cell(row, 'abstract')),
      authors: authorsFrom(cell(row, 'authorsFull'), cell(row, 'authors')),
      year: yearOf(cell(row, 'year')) ?? source?.year ?? null,
      doi: doiOf(cell(row, 'doi')) ?? doiInOpenUrl(cell(row, 'openUrl')),
      venue: source?.venue ?? cell(row, 'venue') ?? null,
      volume: cell(row, 'volume') ?? source?.volume ?? null,
      issue: cell(row, 'issue') ?? source?.issue ?? null,
      pages: pagesOf(cell(row, 'pageStart') ?? null, cell(row, 'pageEnd') ?? null) ?? cell(row, 'pages') ?? source?.pages ?? null,
      url: cell(row, 'url') ?? null,
      pmid: cell(row, 'pmid') ?? null,
    };
  });
}

/**
 * Embase's Source column holds the whole citation: "Endoscopic Ultrasound (2014) 3:3 (152-160).
 * Date of Publication: 2014". Null for a plain journal name.
 */
function citationInSource(source: string | undefined): { venue: string; year: number | null; volume: string | null; issue: string | null; pages: string | null } | null {
  const m = source?.match(/^(.+?)\s+\((\d{4})\)\s*(?:(\w+)(?::(\w+))?)?\s*(?:\(([^)]+)\))?/);
  if (!m) return null;
  return { venue: m[1].trim(), year: Number(m[2]), volume: m[3] ?? null, issue: m[4] ?? null, pages: m[5]?.trim() ?? null };
}

/** Embase puts the DOI only inside its OpenURL link: "…&id=doi:10.4103%2F2303-9027.138783&…". */
function doiInOpenUrl(link: string | undefined): string | null {
  const m = link?.match(/[?&]id=doi:([^&]+)/);
  if (!m) return null;
  try {
    return doiOf(decodeURIComponent(m[1]));
  } catch {
    return null;
  }
}

/** Scopus writes "[No abstract available]" where there is none. */
function cleanPlaceholder(value: string | undefined): string | null {
  if (!value || /^\[no abstract available\]$/i.test(value)) return null;
  return value;
}

export function looksLikeCsv(text: string): boolean {
  const header = text.slice(0, text.indexOf('\n') >>> 0).toLowerCase();
  return /(^|[,\t"])\s*"?(title|article title|ti|abstract)"?\s*([,\t"]|$)/.test(header);
}
