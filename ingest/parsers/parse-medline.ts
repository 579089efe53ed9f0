// PubMed's MEDLINE text format (the "PubMed" download, .nbib). Four-character padded tags, values
// wrapped onto lines indented six spaces, records separated by blank lines.
import type { RawPaper } from '../../src/types.js';
import { parseAuthorName } from './authors.js';
import { all, doiOf, first, parseTaggedRecords, yearOf, type TaggedFormat } from './tagged-records.js';

export const MEDLINE_FORMAT: TaggedFormat = {
  tagLine: /^([A-Z][A-Z0-9]{1,3}) {0,3}- (.*)$/,
  continuation: (line) => (/^ {2,}\S/.test(line) ? line.trim() : null),
  startTag: 'PMID',
  blankLineEnds: true,
};

export function looksLikeMedline(text: string): boolean {
  return /^PMID- ?\d+/m.test(text);
}

export function parseMedline(text: string): RawPaper[] {
  return parseTaggedRecords(text, MEDLINE_FORMAT).map((r) => {
    const full = all(r, 'FAU');
    const names = full.length ? full : all(r, 'AU');
    const ids = [...all(r, 'LID'), ...all(r, 'AID')];
    return {
      line: r.line,
      pmid: first(r, 'PMID'),
      title: first(r, 'TI', 'BTI'),
      abstract: first(r, 'AB'),
      authors: names.map(parseAuthorName).filter((a) => a !== null),
      year: yearOf(first(r, 'DP', 'DEP', 'DA')),
      venue: first(r, 'JT', 'TA'),
      volume: first(r, 'VI'),
      issue: first(r, 'IP'),
      pages: first(r, 'PG'),
      doi: ids.filter((v) => /\[doi\]/.test(v)).map(doiOf).find((d) => d) ?? null,
    };
  });
}
