// Web of Science "plain text" export: FN/VR header, two-letter tags, continuation lines indented
// three spaces (one author per line), ER closing each record and EF the file.
import type { RawPaper } from '../../src/types.js';
import { parseAuthorName } from './authors.js';
import { all, doiOf, first, pagesOf, parseTaggedRecords, yearOf, type TaggedFormat } from './tagged-records.js';

export const WOS_FORMAT: TaggedFormat = {
  tagLine: /^([A-Z][A-Z0-9])(?: (.*))?$/,
  continuation: (line) => (line.startsWith('   ') ? line.trim() : null),
  startTag: 'PT',
  endTag: 'ER',
  blankLineEnds: false,
  listContinuation: new Set(['AU', 'AF', 'CR', 'C1', 'BA', 'BF', 'ED']),
  headerTags: new Set(['FN', 'VR', 'EF']),
};

// No ER needed: a file cut off inside its first record is still Web of Science (and says so).
export function looksLikeWos(text: string): boolean {
  return /^(\uFEFF)?FN .*\n/m.test(text) && /^PT /m.test(text);
}

/** A record that no "ER" line closes is kept as far as it goes, and `onUnclosed` is told (see parseRis). */
export function parseWos(text: string, onUnclosed: (line: number) => void = () => {}): RawPaper[] {
  return parseTaggedRecords(text, WOS_FORMAT, onUnclosed).map((r) => {
    const full = all(r, 'AF');
    return {
      line: r.line,
      title: first(r, 'TI'),
      abstract: first(r, 'AB'),
      authors: (full.length ? full : all(r, 'AU')).map(parseAuthorName).filter((a) => a !== null),
      year: yearOf(first(r, 'PY', 'EA', 'PD')),
      venue: first(r, 'SO', 'J9', 'JI'),
      volume: first(r, 'VL'),
      issue: first(r, 'IS'),
      pages: pagesOf(first(r, 'BP'), first(r, 'EP')) ?? first(r, 'AR'),
      doi: doiOf(first(r, 'DI', 'D2')),
      pmid: first(r, 'PM'),
    };
  });
}
