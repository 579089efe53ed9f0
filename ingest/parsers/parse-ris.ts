// RIS (EndNote, Zotero, Mendeley, Scopus, many publishers). Tags follow the RIS spec; the common
// aliases (T1/TI, AB/N2, AU/A1, PY/Y1/DA, JO/T2/JF) are all read.
import type { RawPaper } from '../../src/types.js';
import { parseAuthorName } from './authors.js';
import { all, doiOf, first, pagesOf, parseTaggedRecords, yearOf, type TaggedFormat } from './tagged-records.js';

export const RIS_FORMAT: TaggedFormat = {
  tagLine: /^([A-Z][A-Z0-9])  -(?: (.*))?$/,
  continuation: (line) => line,
  startTag: 'TY',
  endTag: 'ER',
  blankLineEnds: false,
};

// No ER needed: a file cut off inside its first record is still RIS (and says so).
export function looksLikeRis(text: string): boolean {
  return /^\s*TY  - /m.test(text);
}

/**
 * A record that no "ER  -" line closes is kept as far as it goes, and `onUnclosed` is told: an
 * export cut off in the middle of a record ends like that, and its last fields may be missing.
 * @example parseRis('TY  - JOUR\nTI  - Peer support\nPY  - 2019\nER  - ')[0].title // 'Peer support'
 */
export function parseRis(text: string, onUnclosed: (line: number) => void = () => {}): RawPaper[] {
  return parseTaggedRecords(text, RIS_FORMAT, onUnclosed).map((r) => ({
    line: r.line,
    // ST, the short title, when a record has no full one (some EndNote and Ovid exports).
    title: first(r, 'TI', 'T1', 'CT', 'ST', 'BT'),
    abstract: first(r, 'AB', 'N2'),
    authors: all(r, 'AU', 'A1').map(parseAuthorName).filter((a) => a !== null),
    year: yearOf(first(r, 'PY', 'Y1', 'DA', 'Y2')),
    venue: first(r, 'JO', 'T2', 'JF', 'JA', 'J2', 'J1'),
    volume: first(r, 'VL'),
    issue: first(r, 'IS'),
    pages: pagesOf(first(r, 'SP'), first(r, 'EP')),
    doi: doiOf(first(r, 'DO')) ?? all(r, 'UR', 'L2').map(doiOf).find((d) => d) ?? null,
    url: first(r, 'UR', 'L2', 'LK'),
    pmid: first(r, 'AN')?.match(/^\d{5,9}$/)?.[0] ?? null,
  }));
}
