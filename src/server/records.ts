// The shapes a paper and a search result take on the way out, shared by the HTTP API and the MCP
// tools so both say the same thing about the same paper.
import { paperReference } from '../answer/cite.js';
import { NotFoundError } from '../errors.js';
import type { RetrievedPaper } from '../retrieve/retriever.js';
import type { Corpus } from '../store/corpus.js';
import type { Paper } from '../types.js';

export function paperSummary(p: Paper) {
  return { ...paperReference(p), hasText: p.hasText };
}

/** The Papers tab's orders: newest first (undated last), oldest first (undated last), or by label. */
export function sortPapers(papers: Paper[], sort: 'year-desc' | 'year-asc' | 'label'): Paper[] {
  const byLabel = (a: Paper, b: Paper) => a.label.localeCompare(b.label, undefined, { numeric: true });
  if (sort === 'label') return [...papers].sort(byLabel);
  const dir = sort === 'year-asc' ? 1 : -1;
  return [...papers].sort((a, b) => (a.year === null ? 1 : 0) - (b.year === null ? 1 : 0) || dir * ((a.year ?? 0) - (b.year ?? 0)) || byLabel(a, b));
}

/** The whole record of a paper, with its sections and chunk offsets. */
export function paperRecord(corpus: Corpus, id: string, hint = 'GET /api/papers lists the ids.') {
  const paper = corpus.paper(id);
  if (!paper) throw new NotFoundError(`No paper with id "${id}". ${hint}`);
  const chunks = corpus.chunksOf(id).map(({ id: chunkId, ordinal, sentences }) => ({ chunkId, ordinal, sentences }));
  return { ...paperSummary(paper), ...paper, chunks };
}

/** Search results by paper: the best passage's text, and every matched passage with its offsets into the abstract. */
export function searchResults(results: RetrievedPaper[]) {
  return results.map((r) => ({
    paperId: r.paper.id,
    label: r.paper.label,
    title: r.paper.title,
    year: r.paper.year,
    score: Math.round(r.score * 1000) / 1000,
    passage: r.passages[0]?.chunk.text ?? '',
    passages: r.passages.map((p) => ({ chunkId: p.chunk.id, text: p.chunk.text, sentences: p.chunk.sentences })),
  }));
}
