// Search filters (data) as a SQL predicate on a build's papers table, with the same meaning as
// compileFilters: a year range excludes papers without a year, an empty id list allows none,
// author and venue are case- and accent-insensitive "contains" matches against the folded forms
// the writer stored (strpos, so a user's % or _ is text, not a pattern).
import { foldText, isEmptyFilter, type SearchFilters } from '../filters.js';

/**
 * The predicate on alias `p`, pushing its values onto `params`; null when the filter allows all.
 * @example paperPredicate({ yearFrom: 2015 }, params) // "p.year >= $3"
 */
export function paperPredicate(f: SearchFilters | undefined, params: unknown[], alias = 'p'): string | null {
  if (!f || isEmptyFilter(f)) return null;
  const clauses: string[] = [];
  const value = (v: unknown) => `$${params.push(v)}`;
  if (f.yearFrom !== undefined) clauses.push(`${alias}.year >= ${value(f.yearFrom)}`);
  if (f.yearTo !== undefined) clauses.push(`${alias}.year <= ${value(f.yearTo)}`);
  if (f.paperIds) clauses.push(`${alias}.id = ANY(${value(f.paperIds)}::text[])`);
  if (f.design) clauses.push(`${alias}.design = ${value(f.design)}`);
  // As compileFilters: a text that folds to nothing filters nothing. Stored author forms are joined
  // by newlines, so a filter text (which cannot hold one) never spans two names; Postgres text cannot hold NUL.
  const folded = (text: string | undefined) => (text ? foldText(text.trim()).replace(/[\n\0]/g, ' ') : '');
  const author = folded(f.authors);
  const venue = folded(f.venue);
  if (author) clauses.push(`strpos(${alias}.authors, ${value(author)}) > 0`);
  if (venue) clauses.push(`strpos(${alias}.venue, ${value(venue)}) > 0`);
  return clauses.length ? clauses.join(' AND ') : null;
}
