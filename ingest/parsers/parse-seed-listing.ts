// The bundled corpus is a scraped search-results page, not an export format. Each paper is a run of
// marker lines ("2018 ◽", "Vol 65 (1) ◽", "pp. 64-72 ◽", "Author(s):", names ending in "◽") then a
// paragraph. A title line is rare and comes before the year; a second "Author(s):" block with no year
// is a different paper; "..." means the author list was cut; the page ends with site chrome.
import type { RawPaper } from '../../src/types.js';
import { parseAuthorName } from './authors.js';

type Line =
  | { kind: 'blank' }
  | { kind: 'chrome' }
  | { kind: 'year'; year: number }
  | { kind: 'volume'; volume: string; issue: string | null }
  | { kind: 'pages'; pages: string }
  | { kind: 'authors-header' }
  | { kind: 'ellipsis' }
  | { kind: 'text'; text: string; marked: boolean };

const CHROME = /^(sign in \/ sign up|sign in|sign up|export citation format|share document|download pdf|cited by.*)$/i;

function classify(raw: string): Line {
  const line = raw.trim();
  if (!line) return { kind: 'blank' };
  if (CHROME.test(line)) return { kind: 'chrome' };
  const unmarked = line.replace(/\s*◽\s*$/, '').trim();
  let m: RegExpMatchArray | null;
  if ((m = unmarked.match(/^(1[5-9]\d\d|20\d\d)$/))) return { kind: 'year', year: Number(m[1]) };
  if ((m = unmarked.match(/^Vol\.?\s+(\S+)(?:\s*\(([^)]*)\))?$/i))) return { kind: 'volume', volume: m[1], issue: m[2] ?? null };
  if ((m = unmarked.match(/^pp?\.\s*(.+)$/))) return { kind: 'pages', pages: m[1].trim() };
  if (/^Author\(s\):?$/i.test(unmarked)) return { kind: 'authors-header' };
  if (/^(\.\.\.|…)$/.test(unmarked)) return { kind: 'ellipsis' };
  return { kind: 'text', text: unmarked, marked: unmarked !== line };
}

/** True when a text looks like the seed listing: its ◽ markers and Author(s) blocks. */
export function looksLikeSeedListing(text: string): boolean {
  return /^Author\(s\):\s*$/m.test(text) && /◽/.test(text);
}

/**
 * Parses the scraped listing into one RawPaper per paper, each with the 1-based line it starts at.
 * @example parseSeedListing('2018 ◽\nAuthor(s):\nA. Smith\n\nAn abstract.')[0].year // 2018
 */
export function parseSeedListing(text: string): RawPaper[] {
  const lines = text.split('\n').map(classify);
  const papers: RawPaper[] = [];
  let current: RawPaper | null = null;
  let pendingTitle: { text: string; line: number } | null = null;
  let inAuthors = false;
  let ended = false;

  const start = (lineNo: number): RawPaper => {
    const paper: RawPaper = { authors: [], line: pendingTitle?.line ?? lineNo };
    if (pendingTitle) paper.title = pendingTitle.text;
    pendingTitle = null;
    papers.push(paper);
    return paper;
  };
  const nextSignificant = (from: number): Line | undefined => {
    for (let j = from; j < lines.length; j++) if (lines[j].kind !== 'blank') return lines[j];
    return undefined;
  };

  lines.forEach((line, i) => {
    if (ended) return;
    const lineNo = i + 1;
    switch (line.kind) {
      case 'blank':
        inAuthors = false;
        return;
      case 'chrome':
        ended = true; // everything after the site chrome is the page's footer
        return;
      case 'year':
        current = start(lineNo);
        current.year = line.year;
        inAuthors = false;
        return;
      case 'volume':
        current ??= start(lineNo);
        current.volume = line.volume;
        current.issue = line.issue;
        return;
      case 'pages':
        current ??= start(lineNo);
        current.pages = line.pages;
        return;
      case 'authors-header':
        // A second author block (or one after an abstract) begins another paper.
        if (!current || (current.authors?.length ?? 0) > 0 || current.abstract) current = start(lineNo);
        inAuthors = true;
        return;
      case 'ellipsis':
        if (current && inAuthors) current.authorsTruncated = true;
        return;
      case 'text': {
        if (inAuthors && current && (line.marked || line.text.length <= 80)) {
          const author = parseAuthorName(line.text);
          if (author) current.authors!.push(author);
          return;
        }
        inAuthors = false;
        const next = nextSignificant(i + 1);
        const opensNext = next?.kind === 'year' || next?.kind === 'authors-header';
        if (opensNext && line.text.length <= 300 && !/\.$/.test(line.text)) {
          pendingTitle = { text: line.text, line: lineNo };
          return;
        }
        current ??= start(lineNo);
        current.abstract = current.abstract ? `${current.abstract} ${line.text}` : line.text;
        return;
      }
    }
  });
  return papers;
}
