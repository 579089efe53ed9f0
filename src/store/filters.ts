// Search filters are data (so any vector store can translate them into its own filter language),
// compiled once per request into a predicate on papers. They are applied inside retrieval, dense
// and lexical, never to a list already cut to k.
import type { Paper, StudyDesign } from '../types.js';

export interface SearchFilters {
  yearFrom?: number;
  yearTo?: number;
  /** Matches when any author's name contains this text (case- and accent-insensitive). */
  authors?: string;
  venue?: string;
  /** The study design ingest read from the abstract ("randomised controlled trial", "qualitative"…). */
  design?: StudyDesign;
  paperIds?: string[];
}

/** Case- and accent-insensitive form, for "contains" matches (also what Postgres stores and compares). */
export const foldText = (s: string) => s.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase();

/** The folded forms of each author's name a filter text may fall inside: "given family", "family, given". */
export function authorForms(p: Paper): string[] {
  return p.authors.flatMap((a) => [foldText(`${a.given ?? ''} ${a.family}`), foldText(`${a.family}, ${a.given ?? ''}`)]);
}

export function isEmptyFilter(f: SearchFilters | undefined): boolean {
  return !f || (f.yearFrom === undefined && f.yearTo === undefined && !f.authors && !f.venue && !f.design && f.paperIds === undefined);
}

/** Whether the filter looks at more than a paper's id and year (which the corpus keeps in tables). */
export function needsWholePaper(f: SearchFilters): boolean {
  return Boolean(f.authors || f.venue || f.design);
}

/** The id and year parts of a filter, which need no parsed paper. */
export function compileIdYearFilter(f: SearchFilters): (id: string, year: number | null) => boolean {
  // An empty list allows no paper (a scope that came out empty), not every paper.
  const ids = f.paperIds ? new Set(f.paperIds) : null;
  return (id, year) => {
    // A paper with no year cannot be shown to fall inside a year range.
    if (f.yearFrom !== undefined && (year === null || year < f.yearFrom)) return false;
    if (f.yearTo !== undefined && (year === null || year > f.yearTo)) return false;
    return !ids || ids.has(id);
  };
}

/** @example compileFilters({ yearFrom: 2015 })(paper2012) // false */
export function compileFilters(f: SearchFilters | undefined): (paper: Paper) => boolean {
  if (!f || isEmptyFilter(f)) return () => true;
  const author = f.authors ? foldText(f.authors.trim()) : null;
  const venue = f.venue ? foldText(f.venue.trim()) : null;
  const idYear = compileIdYearFilter(f);
  return (p) => {
    if (!idYear(p.id, p.year)) return false;
    if (f.design && p.design !== f.design) return false;
    if (venue && !(p.venue && foldText(p.venue).includes(venue))) return false;
    if (author && !authorForms(p).some((form) => form.includes(author))) return false;
    return true;
  };
}

/** A stable key for a filter, so the masks of one request are computed once. */
export function filterKey(f: SearchFilters): string {
  return JSON.stringify([f.yearFrom, f.yearTo, f.authors, f.venue, f.design, f.paperIds]);
}
