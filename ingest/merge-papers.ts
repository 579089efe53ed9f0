// Re-ingesting a paper updates it, never duplicates it. Two records are the same paper when they
// share a DOI, a PMID, or a normalised title and year, or a normalised title where one side has no
// year and their first authors agree (or one side lists none); the newer record's fields win where
// set. Records without a title merge only on an identifier (DOI, PMID, or the same content id).
import type { Paper } from '../src/types.js';
import { foldText } from '../src/store/filters.js';
import { normaliseTitle } from './normalise-paper.js';

function keys(p: Paper): string[] {
  const out = [`id:${p.id}`];
  if (p.doi) out.push(`doi:${p.doi}`);
  if (p.pmid) out.push(`pmid:${p.pmid}`);
  if (p.title) out.push(`title:${normaliseTitle(p.title)}|${p.year ?? ''}`);
  return out;
}

const firstAuthor = (p: Paper) => (p.authors[0] ? foldText(p.authors[0].family) : null);

/** The same title, one side without a year, and first authors that agree or are missing on one side. */
function sameWithoutYear(a: Paper, b: Paper): boolean {
  if ((a.year === null) === (b.year === null)) return false;
  const [x, y] = [firstAuthor(a), firstAuthor(b)];
  return x === null || y === null || x === y;
}

function merge(old: Paper, next: Paper): Paper {
  const merged = { ...old } as Record<string, unknown>;
  for (const [k, v] of Object.entries(next)) {
    const empty = v === null || v === undefined || (Array.isArray(v) && v.length === 0);
    if (!empty) merged[k] = v;
  }
  const paper = merged as unknown as Paper;
  // Sections are offsets into the abstract they came with.
  if (next.abstract) paper.sections = next.sections;
  paper.id = old.id;
  paper.hasText = Boolean(paper.title || paper.abstract);
  return paper;
}

export interface MergeResult {
  papers: Paper[];
  added: number;
  updated: number;
}

/**
 * Adds `incoming` to `existing`, in order, merging duplicates (also duplicates within `incoming`).
 * @example mergePapers([a], [aAgain, b]).papers.length // 2
 */
export function mergePapers(existing: Paper[], incoming: Paper[]): MergeResult {
  const papers = existing.map((p) => ({ ...p }));
  const byKey = new Map<string, number>();
  const byTitle = new Map<string, number[]>();
  const index = (p: Paper, i: number) => {
    keys(p).forEach((k) => byKey.set(k, i));
    if (!p.title) return;
    const t = normaliseTitle(p.title);
    const list = byTitle.get(t) ?? [];
    if (!list.includes(i)) byTitle.set(t, [...list, i]);
  };
  papers.forEach(index);
  let added = 0;
  let updated = 0;
  for (const paper of incoming) {
    const hit =
      keys(paper).map((k) => byKey.get(k)).find((i) => i !== undefined) ??
      (paper.title ? byTitle.get(normaliseTitle(paper.title))?.find((i) => sameWithoutYear(papers[i], paper)) : undefined);
    if (hit === undefined) {
      papers.push(paper);
      index(paper, papers.length - 1);
      added++;
    } else {
      papers[hit] = merge(papers[hit], paper);
      index(papers[hit], hit);
      updated++;
    }
  }
  return { papers, added, updated };
}
