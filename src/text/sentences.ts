// Splits an abstract into labelled sections and sentences, as exact character offsets.
// Offsets, not strings, are the point: a citation's quote is always abstract.slice(start, end).
//
// Abstracts arrive in many shapes: "Background: …", "BACKGROUND …", Emerald's "Purpose – …", and
// scraped pages where the labels are glued to the text ("BackgroundLittle is known…hospital.AimsTo…").
import type { Section, SentenceSpan } from '../types.js';

// Longest first, so "Research limitations/implications" wins over "Implications".
const LABELS = [
  'Research limitations/implications',
  'Design/methodology/approach',
  'Main outcome measures',
  'Practical implications',
  'Social implications',
  'Originality/value',
  'Trial registration',
  'Materials and methods',
  'Methods and materials',
  'Patients and methods',
  'Study design',
  'Introduction',
  'Participants',
  'Interventions',
  'Intervention',
  'Implications',
  'Conclusions',
  'Conclusion',
  'Limitations',
  'Methodology',
  'Background',
  'Discussion',
  'Objectives',
  'Objective',
  'Rationale',
  'Purpose',
  'Results',
  'Findings',
  'Measures',
  'Settings',
  'Setting',
  'Methods',
  'Context',
  'Method',
  'Design',
  'Aims',
  'Aim',
  'Abstract',
].sort((a, b) => b.length - a.length);

const ABBREVIATIONS = new Set(
  'e.g i.e al etc vs cf fig figs dr mr mrs ms prof no nos approx incl inc ltd st jr sr eq ref refs vol pp ca resp'.split(' '),
);

interface LabelMatch {
  label: string;
  /** Where the label starts and where the section's body starts. */
  start: number;
  bodyStart: number;
}

function matchLabelAt(text: string, pos: number, atStart: boolean): LabelMatch | null {
  for (const label of LABELS) {
    const candidate = text.slice(pos, pos + label.length);
    if (candidate.toLowerCase() !== label.toLowerCase()) continue;
    const rest = text.slice(pos + label.length);
    const allCaps = candidate === candidate.toUpperCase();
    const titleCase = candidate[0] === candidate[0].toUpperCase();
    let m: RegExpMatchArray | null;
    // "Label:" or "Label –" in any case.
    if ((m = rest.match(/^\s*[:：]\s*|^\s+[–—-]\s+/))) {
      return { label: canonical(label), start: pos, bodyStart: pos + label.length + m[0].length };
    }
    // "BACKGROUND Peer support…"
    if (allCaps && label.length > 2 && (m = rest.match(/^\s+(?=[A-Z0-9"“(])/))) {
      return { label: canonical(label), start: pos, bodyStart: pos + label.length + m[0].length };
    }
    // Glued: "BackgroundLittle is known", "AimsTo explore": the next word starts straight after.
    if (titleCase && !allCaps && /^[A-Z][a-z]/.test(rest)) {
      return { label: canonical(label), start: pos, bodyStart: pos + label.length };
    }
    // "Abstract Many children…" only opens a text; elsewhere "Results from…" is a sentence.
    if (atStart && label === 'Abstract' && (m = rest.match(/^\s+(?=[A-Z])/))) {
      return { label: 'Abstract', start: pos, bodyStart: pos + label.length + m[0].length };
    }
  }
  return null;
}

function canonical(label: string): string {
  return label[0].toUpperCase() + label.slice(1).toLowerCase();
}

/** Positions where a sentence (and so possibly a section) can begin. */
function* boundaries(text: string): Generator<number> {
  yield skipSpace(text, 0);
  for (let i = 1; i < text.length; i++) {
    const prev = text[i - 1];
    if (prev === '\n' || ((prev === '.' || prev === '?' || prev === '!') && !isDecimalPoint(text, i - 1))) {
      yield skipSpace(text, i);
    }
  }
}

function skipSpace(text: string, i: number): number {
  while (i < text.length && /\s/.test(text[i])) i++;
  return i;
}

function isDecimalPoint(text: string, i: number): boolean {
  return /\d/.test(text[i - 1] ?? '') && /\d/.test(text[i + 1] ?? '');
}

/**
 * The labelled sections of a structured abstract. Unlabelled text before the first label is not a
 * section; an "Abstract" label only marks where the text begins.
 * @example findSections('Background: A. Methods: B.') // [{label:'Background',…},{label:'Methods',…}]
 */
export function findSections(text: string): Section[] {
  const labels = scanLabels(text);
  const sections: Section[] = [];
  labels.forEach((m, i) => {
    const next = labels[i + 1]?.start ?? text.length;
    let end = next;
    while (end > m.bodyStart && /\s/.test(text[end - 1])) end--;
    if (m.label !== 'Abstract' && end > m.bodyStart) sections.push({ label: m.label, start: m.bodyStart, end });
  });
  return sections;
}

function scanLabels(text: string): LabelMatch[] {
  const labels: LabelMatch[] = [];
  const first = skipSpace(text, 0);
  let lastEnd = -1;
  for (const pos of boundaries(text)) {
    if (pos <= lastEnd || pos >= text.length) continue;
    const match = matchLabelAt(text, pos, pos === first);
    if (match) {
      labels.push(match);
      lastEnd = match.bodyStart;
    }
  }
  return labels;
}

/** Where the readable text of an abstract starts and stops, once labels are set aside. */
function bodies(text: string): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let cursor = 0;
  for (const { start, bodyStart } of scanLabels(text)) {
    if (start > cursor) out.push([cursor, start]);
    cursor = bodyStart;
  }
  if (cursor < text.length) out.push([cursor, text.length]);
  return out;
}

function isSentenceEnd(text: string, i: number, bodyEnd: number): boolean {
  const ch = text[i];
  if (ch !== '.' && ch !== '?' && ch !== '!') return false;
  let j = i + 1;
  while (j < bodyEnd && /["”’)\]]/.test(text[j])) j++;
  if (j >= bodyEnd) return true;
  const spaced = /\s/.test(text[j]);
  const k = skipSpace(text, j);
  if (k >= bodyEnd) return true;
  const next = text[k];
  if (ch !== '.') return spaced && /[A-Z0-9"“(\[]/.test(next);
  if (!spaced) {
    // "hospital.Patients": glued sentences in scraped text. Not "U.K." or "e.g.x".
    return /[a-z)]{2}$/.test(text.slice(Math.max(0, i - 2), i)) && /^[A-Z][a-z]/.test(text.slice(k, k + 2));
  }
  if (!/[A-Z0-9"“(\[]/.test(next)) return false;
  const before = text.slice(0, i).match(/(\S+)$/)?.[1] ?? '';
  const word = before.replace(/^[("“\[]+/, '').toLowerCase();
  if (ABBREVIATIONS.has(word)) return false;
  if (/^[A-Z]$/.test(before) || /^([A-Z]\.)+[A-Z]$/.test(before)) return false; // initials: "W. S. Mak"
  return true;
}

/**
 * Sentence spans of a text, never including section labels, trimmed of whitespace.
 * @example splitSentences('One. Two!') // [{start:0,end:4},{start:5,end:9}]
 */
export function splitSentences(text: string): SentenceSpan[] {
  const spans: SentenceSpan[] = [];
  for (const [bodyStart, bodyEnd] of bodies(text)) {
    let start = skipSpace(text, bodyStart);
    for (let i = start; i < bodyEnd; i++) {
      if (isSentenceEnd(text, i, bodyEnd)) {
        let end = i + 1;
        while (end < bodyEnd && /["”’)\]]/.test(text[end])) end++;
        pushSpan(spans, text, start, end);
        start = skipSpace(text, end);
        i = start - 1;
      }
    }
    pushSpan(spans, text, start, bodyEnd);
  }
  return spans;
}

function pushSpan(spans: SentenceSpan[], text: string, start: number, end: number): void {
  while (end > start && /\s/.test(text[end - 1])) end--;
  if (end <= start) return;
  // A stray fragment ("(1)") reads better as part of the sentence before it.
  const last = spans[spans.length - 1];
  if (end - start < 4 && last && /^\W*$/.test(text.slice(start, end).replace(/\d/g, ''))) {
    last.end = end;
    return;
  }
  spans.push({ start, end });
}
