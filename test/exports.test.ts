// The page's BibTeX and RIS exports (web/exports.js, the module the page itself imports), parsed
// back with the project's own parsers: hand-picked hostile records, then a few hundred random ones.
import { describe, expect, it } from 'vitest';
import { bibtexExport, evidenceCsv, evidenceRows, markdownExport, risExport, type ExportCitation } from '../web/exports.js';
import { parseSse } from '../web/api.js';
import { parseBibtex } from '../ingest/parsers/parse-bibtex.js';
import { parseRis } from '../ingest/parsers/parse-ris.js';
import type { Paper } from '../src/types.js';
import { seededRandom } from './helpers.js';

/** What the exports read of a paper (the page passes the API's paper records). */
type ExportPaper = Pick<Paper, 'id' | 'label' | 'title' | 'authors' | 'year' | 'venue' | 'volume' | 'issue' | 'pages' | 'doi' | 'abstract'>;

const paper = (over: Partial<ExportPaper>): ExportPaper => ({ id: 'x', label: 'X (n.d.)', title: 'A title', authors: [], year: 2020, venue: null, volume: null, issue: null, pages: null, doi: null, abstract: null, ...over });
const oneLine = (s: string | null) => (s === null ? null : s.replace(/\s+/g, ' ').trim() || null);

function parsedBibtex(text: string) {
  const errors: unknown[] = [];
  const records = parseBibtex(text, 'export.bib', (e) => errors.push(e));
  expect(errors).toEqual([]);
  return records;
}

/** The fields both formats carry, as the parsers give them back. */
function expectSame(back: ReturnType<typeof parseRis>[number], p: ExportPaper) {
  expect(back.title ?? null).toBe(oneLine(p.title));
  expect(back.authors).toEqual(p.authors.map((a) => (a.given ? { family: oneLine(a.family), given: oneLine(a.given) } : { family: oneLine(a.family) })));
  expect(back.year ?? null).toBe(p.year);
  expect(back.venue ?? null).toBe(oneLine(p.venue));
  expect(back.volume ?? null).toBe(oneLine(p.volume));
  expect(back.pages ?? null).toBe(p.pages);
  expect(back.doi ?? null).toBe(p.doi);
  expect(back.abstract ?? null).toBe(oneLine(p.abstract));
}

const HOSTILE: ExportPaper[] = [
  paper({ title: '50% of peers & 100% of staff: {braces}, \\backslash, $math$, #hash, under_score, ~tilde, ^caret', authors: [{ family: 'Lee', given: 'Ann' }], abstract: 'Costs fell by 20% & rose by 5%; see x < y > z.' }),
  paper({ title: 'Protected corporate names', authors: [{ family: 'World Health Organization' }, { family: 'Department of Health and Social Care' }] }),
  paper({ title: 'Accents and keys', authors: [{ family: 'Müller', given: 'Jürgen' }], year: 2016, pages: '112-121', venue: 'Psychiatrische Praxis' }),
  paper({ title: 'Accents and keys, again', authors: [{ family: 'Müller', given: 'Jürgen' }], year: 2016 }),
  paper({ title: 'Dashes -- and quotes \'\' and `ticks`', authors: [{ family: "O'Brien", given: 'Siobhán' }] }),
  paper({ title: 'A forged record\nER  - \n\nTY  - JOUR\nTI  - Forged', authors: [{ family: 'Evil\nAU  - Injected', given: 'Eve' }] }),
  paper({ title: null, label: 'Unknown authors (2001)', year: 2001 }),
];

describe('BibTeX export', () => {
  it('parses back to the same records, with special characters, corporate names and accents intact', () => {
    const text = bibtexExport(HOSTILE);
    const back = parsedBibtex(text);
    expect(back).toHaveLength(HOSTILE.length);
    back.forEach((b, i) => expectSame(b, HOSTILE[i]));
  });

  it('writes surnameYEARword keys, ASCII-folded and unique, and an untitled record its label as a note', () => {
    const text = bibtexExport(HOSTILE);
    const keys = [...text.matchAll(/^@article\{([^,]+),/gm)].map((m) => m[1]);
    expect(keys).toEqual(['lee202050', 'organization2020protected', 'muller2016accents', 'muller2016accentsa', 'obrien2020dashes', 'injected2020forged', 'anon2001']);
    expect(new Set(keys).size).toBe(keys.length);
    expect(text).toMatch(/@article\{anon2001,\n {2}note = \{Unknown authors \(2001\)\},/);
    expect(text).not.toMatch(/anon2001,\n {2}title/);
  });
});

describe('RIS export', () => {
  it('writes one record per paper, every value on one line, and parses back to the same records', () => {
    const text = risExport(HOSTILE);
    const back = parseRis(text);
    expect(back).toHaveLength(HOSTILE.length);
    back.forEach((b, i) => expectSame(b, HOSTILE[i]));
  });
});

// Random records from an alphabet of words, accents, TeX and RIS specials. Commas and semicolons
// stay out of author names: "Family, Given" is how both formats separate the parts of a name, and
// "; " how exports list several names in one field.
function random(seed: number) {
  const { next, pick } = seededRandom(seed);
  const words = ['peer', 'support', 'Stigma', 'über', 'ñandú', 'Øst', '中文', 'naïve', 'x', 'AND', 'and', 'ER', 'TY', 'AU  -'];
  const specials = ['%', '&', '#', '$', '_', '~', '^', '{', '}', '\\', '<', '>', '"', '@', '=', "'", '`', '-', '--', ';', ':', '\n', '\t', '  '];
  const nameSpecials = specials.filter((c) => c !== ';');
  const text = (n: number, name = false) =>
    Array.from({ length: 1 + Math.floor(next() * n) }, () => (next() < 0.35 ? pick(name ? nameSpecials : specials) : pick(words)) + (!name && next() < 0.1 ? ',' : '')).join(' ');
  return { next, text };
}

describe('exports of random hostile records', () => {
  it('parse back to the same fields and the same record count, in BibTeX and in RIS', () => {
    const r = random(20261201);
    const papers = Array.from({ length: 150 }, (_, i) =>
      paper({
        id: `p${i}`,
        title: r.next() < 0.1 ? null : r.text(12),
        label: `Label ${i}`,
        authors: Array.from({ length: Math.floor(r.next() * 4) }, () => (r.next() < 0.3 ? { family: r.text(4, true) } : { family: r.text(2, true), given: r.text(2, true) })).filter((a) => oneLine(a.family) && (!('given' in a) || oneLine(a.given!))),
        year: r.next() < 0.2 ? null : 1990 + Math.floor(r.next() * 35),
        venue: r.next() < 0.5 ? r.text(5) : null,
        volume: r.next() < 0.5 ? String(1 + Math.floor(r.next() * 90)) : null,
        pages: r.next() < 0.5 ? `${1 + Math.floor(r.next() * 50)}-${60 + Math.floor(r.next() * 50)}` : null,
        doi: r.next() < 0.5 ? `10.5555/${Math.floor(r.next() * 1e6)}` : null,
        abstract: r.next() < 0.7 ? r.text(40) : null,
      }),
    );
    const bib = parsedBibtex(bibtexExport(papers));
    expect(bib).toHaveLength(papers.length);
    bib.forEach((b, i) => expectSame(b, papers[i]));
    const ris = parseRis(risExport(papers));
    expect(ris).toHaveLength(papers.length);
    ris.forEach((b, i) => expectSame(b, papers[i]));
  });
});

// The page's own modules, imported rather than copied: the SSE parser, the Markdown and CSV exports.
describe('the page modules', () => {
  const citation = (n: number, over: Partial<ExportCitation> = {}): ExportCitation => ({
    n,
    paperId: `p${n}`,
    label: `Author${n} (2020)`,
    title: `Title ${n}`,
    authors: [`Ann Author${n}`],
    year: 2020,
    venue: 'Journal',
    doi: null,
    spans: [],
    quote: null,
    ...over,
  });

  it('parses Server-Sent Events cut anywhere, with CRLF, comments and multi-line data, keeping the unfinished rest', () => {
    const stream = ': keep-alive\r\n\r\nevent: token\r\ndata: {"text":"Peer "}\r\n\r\nevent: token\ndata: {"text":\ndata: "support"}\n\nevent: done\ndata: {"answer":"x"}\n\n';
    const whole = parseSse(stream);
    expect(whole.events).toEqual([
      { event: 'token', data: { text: 'Peer ' } },
      { event: 'token', data: { text: 'support' } },
      { event: 'done', data: { answer: 'x' } },
    ]);
    expect(whole.rest).toBe('');
    // Fed in pieces, as a network delivers it: the same events, in order.
    for (const cut of [1, 7, 20, 33, 60]) {
      const first = parseSse(stream.slice(0, cut));
      const second = parseSse(first.rest + stream.slice(cut));
      expect([...first.events, ...second.events]).toEqual(whole.events);
    }
  });

  it('exports a conversation as Markdown with each question and every quote of each source', () => {
    const text = markdownExport(
      [
        {
          question: 'Does peer support reduce stigma?',
          result: { answer: 'It may [1]. Also [2].', citations: [citation(1, { spans: [{ start: 0, end: 5, text: 'First quote.' }, { start: 9, end: 20, text: 'Second quote.' }, { start: 0, end: 5, text: 'First quote.' }] }), citation(2, { title: null, quote: 'Only quote.' })] },
        },
        { question: 'And hope?', result: { answer: 'No abstract says.', citations: [] } },
      ],
      'Stigma',
    );
    expect(text).toMatch(/^# Stigma\n\n## Does peer support reduce stigma\?\n\nIt may \[1\]\. Also \[2\]\./);
    expect(text).toContain('1. Ann Author1 (2020). Title 1. Journal.\n   > First quote.\n   > Second quote.\n');
    expect(text.match(/First quote/g)).toHaveLength(1);
    expect(text).toContain('2. Ann Author2 (2020). [untitled: Author2 (2020)]. Journal.\n   > Only quote.');
    expect(text).toContain('## And hope?\n\nNo abstract says.');
  });

  it('writes the evidence table as CSV: a row per cited sentence, quoted where needed, formulas defused', () => {
    const result = { answer: '', citations: [citation(1, { spans: [{ start: 0, end: 1, text: 'He said "no", twice.' }, { start: 2, end: 3, text: '=HYPERLINK("x")' }] }), citation(2, { quote: 'One.\nTwo.', design: 'qualitative', sampleSize: 'N = 12' })] };
    const rows = evidenceRows(result);
    expect(rows).toHaveLength(3);
    const csv = evidenceCsv(rows).split('\r\n');
    expect(csv[0]).toBe('Source,Paper,Year,Design,Sample size,Cited sentence');
    expect(csv[1]).toBe('1,Author1 (2020): Title 1,2020,,,"He said ""no"", twice."');
    expect(csv[2]).toBe('1,Author1 (2020): Title 1,2020,,,"\'=HYPERLINK(""x"")"');
    expect(csv[3]).toBe('2,Author2 (2020): Title 2,2020,qualitative,N = 12,One. Two.');
    expect(csv.at(-1)).toBe('');
  });
});
