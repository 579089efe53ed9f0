// RawPaper (what a file said) → Paper (what every later stage relies on): a stable id, a display
// label for papers without a title, cleaned text, sections, study design and sample size.
import { createHash } from 'node:crypto';
import type { Author, Paper, RawPaper } from '../src/types.js';
import { findSections } from '../src/text/sentences.js';
import { detectDesign, detectSampleSize } from './extract-study-facts.js';

/** Longer abstracts are cut here; a real abstract is a few thousand characters. */
export const MAX_ABSTRACT_CHARS = 20_000;
export const MAX_TITLE_CHARS = 1_000;

function clean(value: string | null | undefined): string | null {
  if (!value) return null;
  // NFC: BibTeX accents arrive decomposed ("u" + combining diaeresis); compare and display composed.
  // Control characters go, and so do bidi embeddings, overrides and isolates: an override in a
  // title would make "gnp.exe" read as "exe.png" wherever it is shown (implicit RTL text needs none).
  const s = value.normalize('NFC').replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u202a-\u202e\u2066-\u2069]/g, '').replace(/\s+/g, ' ').trim();
  return s || null;
}

export function normaliseTitle(title: string): string {
  return title
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

export function normaliseDoi(doi: string): string {
  return doi.trim().replace(/^https?:\/\/(dx\.)?doi\.org\//i, '').replace(/^doi:\s*/i, '').toLowerCase();
}

/**
 * "Chung, Tse, Lee et al. (2018)", "Bertram & McDonald (2015)", "Lau (n.d.)".
 * @example paperLabel([{family:'Chung'},{family:'Tse'},{family:'Lee'},{family:'Wong'}], 2018) // 'Chung, Tse, Lee et al. (2018)'
 */
export function paperLabel(authors: Author[], year: number | null, truncated = false, title: string | null = null): string {
  const when = year ?? 'n.d.';
  const names = authors.map((a) => a.family);
  let who: string;
  if (names.length === 0) who = title ? title.split(' ').slice(0, 6).join(' ') + (title.split(' ').length > 6 ? '…' : '') : 'Unknown authors';
  else if (names.length > 3 || (truncated && names.length === 3)) who = `${names.slice(0, 3).join(', ')} et al.`;
  else if (truncated) who = `${names.join(', ')} et al.`;
  else if (names.length === 1) who = names[0];
  else who = `${names.slice(0, -1).join(', ')} & ${names[names.length - 1]}`;
  return `${who} (${when})`;
}

function hashId(parts: string[]): string {
  return 'h-' + createHash('sha1').update(parts.join('\u0001')).digest('hex').slice(0, 12);
}

export interface NormaliseResult {
  paper: Paper;
  warnings: string[];
}

/** Normalises one parsed record; `sourceFile` is kept on the paper for provenance. */
export function normalisePaper(raw: RawPaper, sourceFile: string): NormaliseResult {
  const warnings: string[] = [];
  const where = `${sourceFile}${raw.line !== undefined ? `:${raw.line}` : ''}`;
  let title = clean(raw.title);
  if (title && title.length > MAX_TITLE_CHARS) {
    warnings.push(`${where}: title is ${title.length} characters; cut to ${MAX_TITLE_CHARS}`);
    title = title.slice(0, MAX_TITLE_CHARS);
  }
  // Scraped pages glue a heading onto the text ("AbstractThe current study…").
  let abstract = clean(raw.abstract)?.replace(/^abstract\s*[:.–-]?\s*(?=[A-Z])/i, '') ?? null;
  // Sections from the parser hold only while the text is exactly what the parser saw.
  let sections = abstract !== null && abstract === raw.abstract ? (raw.sections ?? []) : [];
  if (abstract && abstract.length > MAX_ABSTRACT_CHARS) {
    warnings.push(`${where}: abstract is ${abstract.length} characters; cut to ${MAX_ABSTRACT_CHARS}`);
    abstract = abstract.slice(0, MAX_ABSTRACT_CHARS);
    sections = sections.filter((s) => s.end <= MAX_ABSTRACT_CHARS);
  }
  if (abstract && sections.length === 0) sections = findSections(abstract);

  // Names get the same clean-up as every other field: a newline inside one would otherwise be
  // written raw into a RIS export and start a forged record there.
  const authors = (raw.authors ?? []).flatMap((a) => {
    const family = clean(a.family);
    const given = clean(a.given);
    return family ? [given ? { family, given } : { family }] : [];
  });
  const year = raw.year ?? null;
  const doi = raw.doi ? normaliseDoi(raw.doi) : null;
  const pmid = clean(raw.pmid)?.replace(/\D/g, '') || null;
  const identity = [title ? normaliseTitle(title) : '', String(year ?? ''), authors[0]?.family.toLowerCase() ?? '', title ? '' : normaliseTitle(abstract ?? '').slice(0, 200)];
  // A record with neither title nor abstract is told apart by where it was published, so three
  // different bibliographic entries do not collapse into one "Unknown authors (n.d.)".
  if (!title && !abstract) {
    const where = [raw.venue, raw.volume, raw.issue, raw.pages, raw.url].map((v) => clean(v) ?? '').join('|');
    if (where.replace(/\|/g, '')) identity.push(where.toLowerCase());
  }
  const id = doi ? `doi:${doi}` : pmid ? `pmid:${pmid}` : hashId(identity);
  const truncated = raw.authorsTruncated ?? false;
  const studyText = `${title ?? ''}. ${abstract ?? ''}`;
  return {
    paper: {
      id,
      title,
      label: paperLabel(authors, year, truncated, authors.length ? null : title),
      authors,
      authorsTruncated: truncated,
      year,
      venue: clean(raw.venue),
      volume: clean(raw.volume),
      issue: clean(raw.issue),
      pages: clean(raw.pages),
      doi,
      pmid,
      url: clean(raw.url) ?? (doi ? `https://doi.org/${doi}` : pmid ? `https://pubmed.ncbi.nlm.nih.gov/${pmid}/` : null),
      abstract,
      sections,
      design: abstract || title ? detectDesign(studyText) : null,
      sampleSize: abstract ? detectSampleSize(abstract) : null,
      hasText: Boolean(title || abstract),
      sourceFile,
    },
    warnings,
  };
}
