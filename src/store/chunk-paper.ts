// Abstracts are short: a chunk is a few consecutive sentences with a small overlap, and it keeps
// each sentence's exact offsets so an answer can quote the abstract verbatim later. The title is
// embedded with every chunk; a paper with only a title still gets one chunk. The store keeps only
// the offsets: `chunkText` rebuilds the embedded text from the paper, so it is stored once.
import type { Chunk, Paper, SentenceSpan } from '../types.js';
import { splitSentences } from '../text/sentences.js';

export const CHUNKER_VERSION = 'sentences-v1';

export interface ChunkingOptions {
  sentencesPerChunk: number;
  overlap: number;
}

/** The text that gets embedded for a chunk: the title, then the chunk's sentences. */
export function chunkText(paper: Paper, sentences: SentenceSpan[]): string {
  const heading = paper.title ?? '';
  if (sentences.length === 0) return heading;
  const body = sentences.map((s) => paper.abstract!.slice(s.start, s.end)).join(' ');
  return heading ? `${heading}\n${body}` : body;
}

/**
 * @example chunkPaper(paper, { sentencesPerChunk: 3, overlap: 1 }).map((c) => c.sentences.length) // [3, 3, 2]
 */
export function chunkPaper(paper: Paper, options: ChunkingOptions): Chunk[] {
  if (!paper.hasText) return [];
  const spans = paper.abstract ? splitSentences(paper.abstract) : [];
  if (spans.length === 0) {
    return [{ id: `${paper.id}#0`, paperId: paper.id, ordinal: 0, text: chunkText(paper, []), sentences: [] }];
  }
  const size = Math.max(1, options.sentencesPerChunk);
  const step = Math.max(1, size - Math.min(options.overlap, size - 1));
  const chunks: Chunk[] = [];
  for (let start = 0; start < spans.length; start += step) {
    const sentences = spans.slice(start, start + size);
    chunks.push({ id: `${paper.id}#${chunks.length}`, paperId: paper.id, ordinal: chunks.length, text: chunkText(paper, sentences), sentences });
    if (start + size >= spans.length) break;
  }
  return chunks;
}
