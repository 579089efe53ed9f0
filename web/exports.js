// @ts-check
// Reference exports for the cited papers, written so that they parse back to the same records:
// BibTeX with every special character escaped, braces balanced, corporate names protected and
// unique ASCII keys; RIS with every value on one line. The tests parse both back with the
// project's own BibTeX and RIS parsers.

/** @typedef {{ family: string, given?: string }} Author */
/** @typedef {{ id: string, label: string, title: string | null, authors: Author[], year: number | null, venue?: string | null, volume?: string | null, issue?: string | null, pages?: string | null, doi?: string | null, url?: string | null, abstract?: string | null }} ExportPaper */

/** @type {Record<string, string>} */
const LATEX = {
  '\\': '\\textbackslash{}',
  '{': '\\{',
  '}': '\\}',
  '%': '\\%',
  '&': '\\&',
  '#': '\\#',
  $: '\\$',
  _: '\\_',
  '~': '\\textasciitilde{}',
  '^': '\\textasciicircum{}',
  '<': '\\textless{}',
  '>': '\\textgreater{}',
  '`': '{`}',
};

/**
 * Text as a BibTeX value: specials escaped, and the ligatures TeX would make ("--", "''") broken.
 * @param {unknown} value
 */
export function bibtexText(value) {
  return String(value)
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/[\\{}%&#$_~^<>`]/g, (c) => LATEX[c])
    .replace(/-(?=-)/g, '-{}')
    .replace(/'(?=')/g, "'{}");
}

/** @param {string} text */
const asciiWord = (text) =>
  text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/ß/g, 'ss')
    .replace(/[^A-Za-z0-9]/g, '')
    .toLowerCase();

const STOP = new Set(['a', 'an', 'the', 'of', 'on', 'in', 'and', 'for', 'to', 'with', 'at', 'by', 'from']);

/**
 * The usual `surnameYEARword` key, ASCII-folded ("Müller" → "muller"), made unique with a, b, c….
 * @param {ExportPaper} p
 * @param {Set<string>} taken
 */
function citationKey(p, taken) {
  const surname = asciiWord(p.authors[0]?.family.split(/\s+/).pop() ?? '') || 'anon';
  const word = (p.title ?? '').split(/\s+/).map(asciiWord).find((w) => w && !STOP.has(w)) ?? '';
  const base = `${surname}${p.year ?? 'nd'}${word}`;
  let key = base;
  for (let n = 0; taken.has(key); n++) key = `${base}${n < 26 ? String.fromCharCode(97 + n) : n}`;
  taken.add(key);
  return key;
}

/**
 * A name for BibTeX's "and"-separated list: each part braced, so a corporate author ("World Health
 * Organization", "Department of Health and Social Care") stays one name, unsplit.
 * @param {Author} a
 */
const bibtexName = (a) => (a.given ? `{${bibtexText(a.family)}}, {${bibtexText(a.given)}}` : `{${bibtexText(a.family)}}`);

/** @param {ExportPaper[]} papers */
export function bibtexExport(papers) {
  /** @type {Set<string>} */
  const taken = new Set();
  return papers
    .map((p) => {
      /** @type {Array<[string, string]>} */
      const fields = [];
      /** @param {string} name @param {unknown} value @param {(v: unknown) => string} [write] */
      const add = (name, value, write = bibtexText) => {
        if (value !== null && value !== undefined && String(value).trim() !== '') fields.push([name, write(value)]);
      };
      add('title', p.title);
      // An untitled record keeps its label as a note, not a made-up title.
      if (!p.title) add('note', p.label);
      if (p.authors.length) fields.push(['author', p.authors.map(bibtexName).join(' and ')]);
      add('year', p.year);
      add('journal', p.venue);
      add('volume', p.volume);
      add('number', p.issue);
      add('pages', p.pages, (v) => bibtexText(v).replace(/-(\{\})?/g, '--'));
      add('doi', p.doi);
      add('url', p.url);
      add('abstract', p.abstract);
      return `@article{${citationKey(p, taken)},\n${fields.map(([k, v]) => `  ${k} = {${v}}`).join(',\n')}\n}`;
    })
    .join('\n\n');
}

/** @param {ExportPaper[]} papers */
export function risExport(papers) {
  return papers
    .map((p) => {
      const [sp, ep] = (p.pages ?? '').split('-');
      /** @type {Array<[string, unknown]>} */
      const lines = [
        ['TY', 'JOUR'],
        // "Family, Given"; a name with no given part keeps its comma, so "World Health
        // Organization," stays one family name instead of being read as given names and a surname.
        ...p.authors.map((a) => /** @type {[string, unknown]} */ (['AU', a.given ? `${a.family}, ${a.given}` : `${a.family},`])),
        ['TI', p.title],
        ['PY', p.year],
        ['JO', p.venue],
        ['VL', p.volume],
        ['IS', p.issue],
        ['SP', sp],
        ['EP', ep],
        ['DO', p.doi],
        ['UR', p.url],
        ['AB', p.abstract],
      ];
      // One line per value, whatever the value holds: a line break would start a new tag or record.
      const written = lines.map(([k, v]) => [k, v === null || v === undefined ? '' : String(v).replace(/\s+/g, ' ').trim()]).filter(([, v]) => v);
      return `${written.map(([k, v]) => `${k}  - ${v}`).join('\n')}\nER  - \n`;
    })
    .join('\n');
}

/**
 * @typedef {{ start: number, end: number, text: string, field?: string }} Span
 * @typedef {{ n: number, paperId: string, label: string, title: string | null, authors: string[], year: number | null, venue?: string | null, doi?: string | null, url?: string | null, quote?: string | null, spans?: Span[], design?: string | null, sampleSize?: string | null }} ExportCitation
 * @typedef {{ answer: string, citations: ExportCitation[] }} ExportResult
 * @typedef {{ question: string, result: ExportResult }} ExportTurn
 */

/**
 * Every sentence an answer quotes from a source, in the order it cites them, each once.
 * @param {ExportCitation} c
 */
export function quotesOf(c) {
  const texts = (c.spans?.length ? c.spans.map((s) => s.text) : [c.quote]).filter((t) => typeof t === 'string' && t.trim() !== '');
  return [...new Set(/** @type {string[]} */ (texts))];
}

/** @param {ExportCitation} c */
function reference(c) {
  const link = c.doi ? `https://doi.org/${c.doi}` : c.url && /^https?:\/\//i.test(c.url) ? c.url : null;
  const where = [c.venue, link].filter(Boolean).join('. ');
  const quotes = quotesOf(c).map((q) => `\n   > ${q.replace(/\s+/g, ' ').trim()}`);
  return `${c.n}. ${c.authors.join(', ') || c.label} (${c.year ?? 'n.d.'}). ${c.title ?? `[untitled: ${c.label}]`}.${where ? ` ${where}.` : ''}${quotes.join('')}`;
}

/**
 * A conversation (or one answer) as Markdown: each question, its answer with [n] markers, and its
 * references with every sentence quoted from each.
 * @param {ExportTurn[]} turns @param {string} [title]
 */
export function markdownExport(turns, title) {
  const parts = title ? [`# ${title}`] : [];
  for (const { question, result } of turns) {
    // A summary's own theme headings sit one level under its question's.
    parts.push(`## ${question || 'Summary of the chosen papers'}`, result.answer.trim().replace(/^## /gm, '### '));
    if (result.citations.length) parts.push(`**References**\n\n${result.citations.map(reference).join('\n')}`);
  }
  return `${parts.join('\n\n')}\n`;
}

/**
 * @typedef {{ n: number, paper: string, paperId: string, year: number | null, design: string, sampleSize: string, sentence: string }} EvidenceRow
 */

/**
 * The evidence table of an answer or summary: a row per cited sentence.
 * @param {ExportResult} result
 * @returns {EvidenceRow[]}
 */
export function evidenceRows(result) {
  return result.citations.flatMap((c) =>
    quotesOf(c).map((sentence) => ({
      n: c.n,
      paper: c.title ? `${c.label}: ${c.title}` : c.label,
      paperId: c.paperId,
      year: c.year,
      design: c.design ?? '',
      sampleSize: c.sampleSize ?? '',
      sentence: sentence.replace(/\s+/g, ' ').trim(),
    })),
  );
}

export const EVIDENCE_COLUMNS = /** @type {const} */ ([
  ['n', 'Source'],
  ['paper', 'Paper'],
  ['year', 'Year'],
  ['design', 'Design'],
  ['sampleSize', 'Sample size'],
  ['sentence', 'Cited sentence'],
]);

/**
 * A CSV field: quoted when it must be (RFC 4180), and a leading =, +, - or @ defused, so a
 * spreadsheet shows a sentence rather than running it as a formula.
 * @param {unknown} value
 */
function csvField(value) {
  let text = value === null || value === undefined ? '' : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** @param {EvidenceRow[]} rows */
export function evidenceCsv(rows) {
  const lines = [EVIDENCE_COLUMNS.map(([, name]) => name), ...rows.map((r) => EVIDENCE_COLUMNS.map(([key]) => r[key]))];
  return `${lines.map((line) => line.map(csvField).join(',')).join('\r\n')}\r\n`;
}
