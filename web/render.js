// @ts-check
// Rendering: messages, cited answers, the source card, the evidence table, paper lists. Every text
// from the server (answers, abstracts, titles) goes on the page through textContent or text nodes,
// never as HTML.
import { EVIDENCE_COLUMNS, evidenceRows } from './exports.js';

/**
 * @typedef {import('./exports.js').ExportCitation & { supported?: boolean }} Citation
 * @typedef {{ n: number, paperId: string, start: number, end: number, field: string, supported: boolean }} SegmentCitation
 * @typedef {{ text: string, citations: SegmentCitation[] }} Segment
 * @typedef {{ theme: string, agreement: string }} Theme
 * @typedef {{ paperId: string, label: string, title: string | null, score?: number }} Closest
 * @typedef {{ answer: string, answerable: boolean, segments?: Segment[], citations: Citation[], themes?: Theme[], closest?: Closest[], notice?: string, notices?: string[], safety?: string, missing?: string[], findings?: unknown[] }} Result
 * @typedef {{ label: string, start: number, end: number }} Section
 * @typedef {{ paperId: string, id?: string, label: string, title: string | null, authors: Array<{ family: string, given?: string }>, authorsTruncated?: boolean, year: number | null, venue?: string | null, volume?: string | null, issue?: string | null, pages?: string | null, doi?: string | null, pmid?: string | null, url?: string | null, abstract?: string | null, sections?: Section[], design?: string | null, sampleSize?: string | null, hasText?: boolean }} PaperRecord
 */

/**
 * document.createElement with a class and text.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag @param {string} [className] @param {string} [text]
 * @returns {HTMLElementTagNameMap[K]}
 */
export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/**
 * A message in the log: a user question, or an assistant reply filled in later.
 * @param {HTMLElement} log @param {'user' | 'assistant'} role @param {string} text
 */
export function addMessage(log, role, text) {
  const li = el('li', `message ${role}`);
  li.setAttribute('aria-label', role === 'user' ? 'Your question' : 'Answer');
  li.append(el('div', 'body', text));
  log.append(li);
  return li;
}

/**
 * Keeps the newest message in view inside the log (the log scrolls on its own, above the
 * composer): all of it when it fits, else its start, so a long summary is read from the top.
 * @param {HTMLElement} log @param {HTMLElement} li
 */
export function scrollIntoLog(log, li) {
  const top = li.offsetTop - log.offsetTop;
  const fits = li.offsetHeight <= log.clientHeight - 8;
  log.scrollTop = fits ? top + li.offsetHeight - log.clientHeight + 8 : top - 8;
}

/**
 * An answer from its segments: each segment's text then a chip per citation; "## " segments as
 * theme headings, a theme's first line as its agreement note.
 * @param {HTMLElement} container @param {Result} result @param {(c: Citation, chip: HTMLElement) => void} onCite
 */
export function renderAnswer(container, result, onCite) {
  container.replaceChildren();
  const segments = result.segments ?? [{ text: result.answer, citations: [] }];
  const byN = new Map(result.citations.map((c) => [c.n, c]));
  const themes = result.themes ?? [];
  /** @type {Theme | null} */
  let theme = null;
  for (const [i, segment] of segments.entries()) {
    // A question that expresses a crisis is answered first with where to find support.
    if (i === 0 && result.safety === 'crisis' && segment.citations.length === 0) {
      const note = el('p', 'crisis-note', segment.text);
      note.dataset.testid = 'crisis';
      note.setAttribute('role', 'note');
      container.append(note);
      continue;
    }
    const heading = /^## (.*)$/.exec(segment.text);
    if (heading) {
      container.append(el('h4', 'theme', heading[1]));
      theme = themes.find((t) => heading[1] === t.theme || heading[1] === `Shared: ${t.theme}`) ?? null;
      continue;
    }
    if (theme && segment.citations.length === 0 && /^## /.test(segments[i - 1]?.text ?? '')) {
      const note = el('p', `agreement ${theme.agreement}`, segment.text);
      note.dataset.testid = 'agreement';
      note.dataset.agreement = theme.agreement;
      container.append(note);
      continue;
    }
    const last = container.lastChild;
    if (last && last.nodeName !== 'H4' && last.nodeName !== 'P') container.append(document.createTextNode(' '));
    container.append(document.createTextNode(segment.text));
    for (const n of [...new Set(segment.citations.map((c) => c.n))]) container.append(' ', citationChip(n, byN.get(n), onCite));
  }
}

/**
 * A citation chip: a button that opens its source card on click or Enter (never on hover).
 * @param {number} n @param {Citation | undefined} c @param {(c: Citation, chip: HTMLElement) => void} onCite
 */
function citationChip(n, c, onCite) {
  const chip = el('button', `citation${c && c.supported === false ? ' unsupported' : ''}`, String(n));
  chip.type = 'button';
  chip.dataset.testid = 'citation';
  chip.dataset.n = String(n);
  chip.setAttribute('aria-label', c ? `Source ${n}: ${c.label}${c.supported === false ? ' (not clearly supported)' : ''}` : `Source ${n}`);
  if (c) chip.addEventListener('click', () => onCite(c, chip));
  return chip;
}

/**
 * Notices under an answer (a crisis line, a fallback), each a paragraph.
 * @param {HTMLElement} li @param {Result} result
 */
export function renderNotices(li, result) {
  // A summary's `missing` lists papers without an abstract; an answer's, the words no paper has.
  const noAbstract = result.findings && result.missing?.length ? [`No abstract to summarise: ${result.missing.join(', ')}.`] : [];
  for (const text of [result.notice, ...noAbstract].filter(Boolean)) {
    li.append(el('p', 'notice', /** @type {string} */ (text)));
  }
  li.classList.toggle('refusal', !result.answerable);
  li.classList.toggle('crisis', result.safety === 'crisis');
}

/**
 * An item of a paper list: the title as a button that opens the paper, and a detail line.
 * @param {string} label @param {string[]} details @param {(e: MouseEvent) => void} onOpen
 */
export function paperItem(label, details, onOpen) {
  const li = el('li');
  const button = el('button', 'source-link', label);
  button.type = 'button';
  button.addEventListener('click', onOpen);
  li.append(button, el('span', 'detail', details.filter(Boolean).join(' · ')));
  return li;
}

/** A paper's design and sample size (its label already says its year). @param {{ design?: string | null, sampleSize?: string | null }} p */
export const factsOf = (p) => [p.design ?? '', p.sampleSize ?? ''].filter(Boolean);

/**
 * Links out for a paper, DOI and PubMed, each when the record has the identifier, separated by " · ".
 * @param {PaperRecord} paper
 * @returns {Array<HTMLAnchorElement | string>}
 */
export function paperLinks(paper) {
  const links = [];
  if (paper.doi) links.push({ href: `https://doi.org/${encodeURI(paper.doi)}`, text: `doi:${paper.doi}` });
  if (paper.pmid) links.push({ href: `https://pubmed.ncbi.nlm.nih.gov/${encodeURIComponent(paper.pmid)}/`, text: `PubMed ${paper.pmid}` });
  if (!links.length && paper.url && /^https?:\/\//i.test(paper.url)) links.push({ href: paper.url, text: paper.url });
  return links.flatMap(({ href, text }, i) => {
    const a = el('a', '', text);
    a.href = href;
    a.rel = 'noopener noreferrer';
    a.target = '_blank';
    return i ? [' · ', a] : [a];
  });
}

/**
 * The abstract, with its sections' labels set apart ("Background", "Aims", …) and the cited spans
 * marked, all from offsets: the label is the text between one section's end and the next one's
 * start; a mark is exactly abstract.slice(start, end).
 * @param {HTMLElement} container @param {string} abstract @param {Section[]} sections @param {Array<{ start: number, end: number }>} spans
 */
export function renderAbstract(container, abstract, sections, spans) {
  container.replaceChildren();
  const marks = [...spans].sort((a, b) => a.start - b.start);
  /** @param {HTMLElement} into @param {number} from @param {number} to */
  const text = (into, from, to) => {
    let at = from;
    for (const s of marks) {
      if (s.end <= at || s.start >= to) continue;
      const start = Math.max(s.start, at);
      const end = Math.min(s.end, to);
      into.append(document.createTextNode(abstract.slice(at, start)));
      const mark = el('mark', '', abstract.slice(start, end));
      mark.dataset.testid = 'evidence';
      into.append(mark);
      at = end;
    }
    into.append(document.createTextNode(abstract.slice(at, to)));
  };
  const ordered = [...sections].filter((s) => s.start < s.end && s.end <= abstract.length).sort((a, b) => a.start - b.start);
  if (!ordered.length) {
    text(container, 0, abstract.length);
    return;
  }
  let at = 0;
  for (const [i, s] of ordered.entries()) {
    if (s.start < at) continue;
    const gap = abstract.slice(at, s.start);
    // The label's own text ("BACKGROUND", "Results:") is replaced by the label set apart.
    if (gap.trim() && !gap.toLowerCase().includes(s.label.toLowerCase())) text(container, at, s.start);
    const part = el('p', 'section');
    part.append(el('strong', 'section-label', s.label), ' ');
    text(part, s.start, ordered[i + 1] ? Math.min(s.end, ordered[i + 1].start) : abstract.length);
    container.append(part);
    at = ordered[i + 1] ? Math.min(s.end, ordered[i + 1].start) : abstract.length;
  }
}

/**
 * The evidence table of an answer: a row per cited sentence, sortable by any column.
 * @param {import('./exports.js').ExportResult} result @param {(n: number) => void} onSource
 */
export function evidenceTable(result, onSource) {
  const rows = evidenceRows(result);
  const table = el('table', 'evidence-table');
  table.dataset.testid = 'evidence-table';
  table.append(el('caption', 'visually-hidden', 'Evidence: each cited sentence with its paper'));
  const head = el('thead');
  const headRow = el('tr');
  const body = el('tbody');
  /** @type {{ key: string, dir: 1 | -1 } | null} */
  let sorted = null;
  const fill = () => {
    const list = [...rows];
    if (sorted) {
      const { key, dir } = sorted;
      list.sort((a, b) => {
        const x = /** @type {Record<string, unknown>} */ (a)[key];
        const y = /** @type {Record<string, unknown>} */ (b)[key];
        // Blanks (an undated paper, an unknown design) go last in either direction.
        const blank = Number(x === null || x === '') - Number(y === null || y === '');
        if (blank) return blank;
        const cmp = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y), undefined, { numeric: true });
        return cmp * dir || a.n - b.n;
      });
    }
    body.replaceChildren(
      ...list.map((r) => {
        const tr = el('tr');
        for (const [key, name] of EVIDENCE_COLUMNS) {
          const td = el('td');
          if (key === 'n') {
            const b = el('button', 'citation', String(r.n));
            b.type = 'button';
            b.setAttribute('aria-label', `Open source ${r.n}`);
            b.addEventListener('click', () => onSource(r.n));
            td.append(b);
          } else td.textContent = key === 'year' && r.year === null ? 'n.d.' : String(r[key] ?? '');
          if (key !== 'n' && key !== 'sentence') td.dataset.label = name;
          tr.append(td);
        }
        return tr;
      }),
    );
  };
  for (const [key, name] of EVIDENCE_COLUMNS) {
    const th = el('th');
    th.scope = 'col';
    th.setAttribute('aria-sort', 'none');
    const button = el('button', 'sort', name);
    button.type = 'button';
    button.addEventListener('click', () => {
      sorted = { key, dir: sorted?.key === key && sorted.dir === 1 ? -1 : 1 };
      for (const other of headRow.querySelectorAll('th')) other.setAttribute('aria-sort', 'none');
      th.setAttribute('aria-sort', sorted.dir === 1 ? 'ascending' : 'descending');
      fill();
    });
    th.append(button);
    headRow.append(th);
  }
  head.append(headRow);
  table.append(head, body);
  fill();
  const wrap = el('div', 'evidence-wrap');
  wrap.append(table);
  return wrap;
}
