// Re-ingesting a paper updates it, never duplicates it. Two records are the same paper when they
// share a DOI, a PMID, or a normalised title and year; the newer record's fields win where set.
import type { Paper } from '../src/types.js';
import { normaliseTitle } from './normalise-paper.js';

function keys(p: Paper): string[] {
  const out = [`id:${p.id}`];
  if (p.doi) out.push(`doi:${p.doi}`);
  if (p.pmid) out.push(`pmid:${p.pmid}`);
  if (p.title) out.push(`title:${normaliseTitle(p.title)}|${p.year ?? ''}`);
  return out;
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
  papers.forEach((p, i) => keys(p).forEach((k) => byKey.set(k, i)));
  let added = 0;
  let updated = 0;
  for (const paper of incoming) {
    const hit = keys(paper).map((k) => byKey.get(k)).find((i) => i !== undefined);
    if (hit === undefined) {
      papers.push(paper);
      keys(paper).forEach((k) => byKey.set(k, papers.length - 1));
      added++;
    } else {
      papers[hit] = merge(papers[hit], paper);
      keys(papers[hit]).forEach((k) => byKey.set(k, hit));
      updated++;
    }
  }
  return { papers, added, updated };
}
