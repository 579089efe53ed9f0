// JSON, JSONL and CSL-JSON (Zotero's "Export as CSL JSON"). Plain objects use the obvious names
// (title/abstract/authors/year/doi/venue/url/pmid); CSL uses author[{family,given}], issued.date-parts,
// container-title, DOI, URL, PMID. Both shapes are read by the same field lookup.
import type { RawPaper } from '../../src/types.js';
import { ParseError } from '../../src/errors.js';
import { authorsFromJson } from './authors.js';
import { doiOf, yearOf } from './tagged-records.js';

type Json = Record<string, unknown>;

function pick(o: Json, ...keys: string[]): unknown {
  for (const k of keys) {
    const v = o[k];
    if (v !== undefined && v !== null && v !== '') return v;
  }
  return undefined;
}

function text(v: unknown): string | null {
  if (typeof v === 'string') return v.trim() || null;
  if (typeof v === 'number') return String(v);
  if (Array.isArray(v) && typeof v[0] === 'string') return v[0].trim() || null; // CSL titles are sometimes arrays
  return null;
}

function yearFrom(o: Json): number | null {
  const issued = o.issued as { 'date-parts'?: unknown[][]; raw?: string; literal?: string } | undefined;
  const parts = issued?.['date-parts']?.[0]?.[0];
  if (parts !== undefined) return yearOf(String(parts));
  return yearOf(text(pick(o, 'year', 'publication_year', 'publicationYear', 'date', 'published')) ?? issued?.raw ?? issued?.literal);
}

/** Maps one JSON object to a RawPaper. `line` is the record's line (JSONL) or index (arrays). */
export function paperFromJson(o: Json, line: number): RawPaper {
  const doi = text(pick(o, 'doi', 'DOI'));
  return {
    line,
    title: text(pick(o, 'title', 'Title')),
    abstract: text(pick(o, 'abstract', 'Abstract', 'summary', 'text')),
    authors: authorsFromJson(pick(o, 'authors', 'author', 'Authors', 'creators')),
    year: yearFrom(o),
    venue: text(pick(o, 'venue', 'journal', 'container-title', 'containerTitle', 'source', 'publicationTitle')),
    volume: text(pick(o, 'volume')),
    issue: text(pick(o, 'issue', 'number')),
    pages: text(pick(o, 'pages', 'page')),
    doi: doi ? doiOf(doi) ?? doi : null,
    pmid: text(pick(o, 'pmid', 'PMID')),
    url: text(pick(o, 'url', 'URL', 'link')),
  };
}

function records(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  if (value && typeof value === 'object') {
    const o = value as Json;
    for (const key of ['items', 'papers', 'records', 'results', 'data']) if (Array.isArray(o[key])) return o[key] as unknown[];
    return [value];
  }
  return [];
}

export function parseJson(content: string, file: string): RawPaper[] {
  let value: unknown;
  try {
    value = JSON.parse(content);
  } catch (error) {
    const pos = Number((error as Error).message.match(/position (\d+)/)?.[1]);
    const line = Number.isFinite(pos) ? content.slice(0, pos).split('\n').length : undefined;
    throw new ParseError(file, `invalid JSON (${(error as Error).message})`, line);
  }
  return records(value).map((item, i) => {
    if (!item || typeof item !== 'object' || Array.isArray(item)) {
      throw new ParseError(file, `record ${i + 1} is not an object`);
    }
    return paperFromJson(item as Json, i + 1);
  });
}

/** JSON Lines: one object per line; a bad line is an error naming that line, the rest still parse. */
export function parseJsonl(content: string, file: string, onError: (e: ParseError) => void): RawPaper[] {
  const out: RawPaper[] = [];
  content.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    try {
      const value = JSON.parse(line);
      if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error('not an object');
      out.push(paperFromJson(value as Json, i + 1));
    } catch (error) {
      onError(new ParseError(file, `invalid JSON record (${(error as Error).message})`, i + 1));
    }
  });
  return out;
}
