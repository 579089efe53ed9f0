// BM25 over the same chunks the vector index holds (MiniSearch scores with BM25+), using the shared
// tokenizer so a "match" here means what it means to the answerer.
import MiniSearch from 'minisearch';
import type { Chunk } from '../types.js';
import { isStopword, stem, words } from '../text/terms.js';

export interface LexicalHit {
  /** Position of the chunk in the index's chunk list. */
  row: number;
  score: number;
}

export class LexicalIndex {
  private readonly search: MiniSearch<{ id: number; text: string }>;

  constructor(chunks: Chunk[]) {
    this.search = new MiniSearch({
      fields: ['text'],
      idField: 'id',
      tokenize: (text) => words(text),
      processTerm: (term) => (term.length < 2 || isStopword(term) ? null : stem(term)),
      searchOptions: { combineWith: 'OR' },
    });
    this.search.addAll(chunks.map((c, row) => ({ id: row, text: c.text })));
  }

  /** Top `k` chunks for `query`; `allow` (when given) is applied inside the search, before the cut. */
  query(query: string, k: number, allow?: (row: number) => boolean): LexicalHit[] {
    const hits = this.search.search(query, allow ? { filter: (r) => allow(r.id as number) } : undefined);
    return hits.slice(0, k).map((h) => ({ row: h.id as number, score: h.score }));
  }
}
