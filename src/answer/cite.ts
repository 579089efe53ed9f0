// Citation checking, the same for every answerer. Each [n] must name a source that was given; each
// cited sentence is matched to the span of the cited abstract that best supports it, and that span
// (exact offsets) becomes the quote. A marker naming no given source is re-attributed to the source
// that clearly supports the sentence, or removed; a citation no span supports is kept but flagged
// `supported: false`. An answer can therefore never cite a paper that was not retrieved.
import type { Paper } from '../types.js';
import { displayName } from '../text/author-names.js';
import { splitSentences } from '../text/sentences.js';
import { analyse, coverageOf, queryTerms, type Idf } from './evidence.js';

export interface Source {
  n: number;
  paper: Paper;
  score: number;
}

export interface Citation {
  n: number;
  paperId: string;
  label: string;
  title: string | null;
  authors: string[];
  year: number | null;
  venue: string | null;
  doi: string | null;
  url: string | null;
  /** The supporting sentence, verbatim: abstract.slice(quoteStart, quoteEnd). */
  quote: string | null;
  quoteStart: number | null;
  quoteEnd: number | null;
  /** Every span of the abstract that supports a sentence citing this source, best first. */
  spans: Array<{ start: number; end: number; text: string }>;
  supported: boolean;
  /** Share of the claim's informative words found in the quote (0..1). */
  support: number;
  score: number;
  design: string | null;
  sampleSize: string | null;
}

export interface CheckedAnswer {
  answer: string;
  citations: Citation[];
  notices: string[];
}

/** A claim counts as supported when the quote holds at least this share of its informative words. */
export const SUPPORT_THRESHOLD = 0.5;
/** A stray marker is re-attributed only to a source that supports the sentence this well. */
const REATTRIBUTE_THRESHOLD = 0.6;

const MARKER = /\[(\d+(?:\s*[,–-]\s*\d+)*)\]/g;

function expand(inner: string): number[] {
  const out: number[] = [];
  for (const part of inner.split(',')) {
    const [a, b] = part.split(/[–-]/).map((x) => Number(x.trim()));
    if (b !== undefined && b >= a && b - a < 20) for (let i = a; i <= b; i++) out.push(i);
    else out.push(a);
  }
  return out;
}

interface Span {
  start: number;
  end: number;
  support: number;
}

/** The abstract sentence that best supports a claim. */
export function bestSupport(claim: string, paper: Paper, idf: Idf): Span | null {
  if (!paper.abstract) return null;
  const q = queryTerms(claim, idf);
  let best: Span | null = null;
  for (const s of analyse(paper).sentences) {
    const support = coverageOf(q, s.terms);
    if (!best || support > best.support) best = { start: s.start, end: s.end, support };
  }
  return best;
}

/** The citation of a source, quoting the best of the spans found for the claims citing it. */
export function citationFor(source: Source, found: Span[] = []): Citation {
  const p = source.paper;
  // Best first; among equals, the first claim's span.
  const ranked = [...found].sort((a, b) => b.support - a.support);
  const span = ranked[0] ?? null;
  const spans = ranked
    .filter((s) => p.abstract !== null && s.support >= SUPPORT_THRESHOLD)
    .filter((s, i, all) => all.findIndex((o) => o.start === s.start) === i)
    .map((s) => ({ start: s.start, end: s.end, text: p.abstract!.slice(s.start, s.end) }));
  return {
    n: source.n,
    ...paperReference(p),
    quote: span && p.abstract ? p.abstract.slice(span.start, span.end) : null,
    quoteStart: span?.start ?? null,
    quoteEnd: span?.end ?? null,
    spans,
    supported: (span?.support ?? 0) >= SUPPORT_THRESHOLD,
    support: Math.round((span?.support ?? 0) * 1000) / 1000,
    score: Math.round(source.score * 1000) / 1000,
  };
}

/** What a reader needs to identify and judge a paper; the API's paper summaries use it too. */
export function paperReference(p: Paper) {
  return {
    paperId: p.id,
    label: p.label,
    title: p.title,
    authors: p.authors.map(displayName),
    year: p.year,
    venue: p.venue,
    doi: p.doi,
    url: p.url,
    design: p.design,
    sampleSize: p.sampleSize,
  };
}

/**
 * Checks and repairs the citations of an answer written against numbered sources.
 * @example checkCitations('Peers reduced stigma [9].', sources, idf).notices // ['… [9] …']
 */
export function checkCitations(answer: string, sources: Source[], idf: Idf): CheckedAnswer {
  const byN = new Map(sources.map((s) => [s.n, s]));
  const notices: string[] = [];
  const sentences = splitSentences(answer);
  const sentenceOf = (offset: number): number => {
    let i = sentences.findIndex((s) => offset >= s.start && offset < s.end);
    if (i < 0) i = sentences.length - 1;
    // "…claim. [1] Next claim": a marker opening a sentence belongs to the one before it.
    const before = answer.slice(sentences[i].start, offset).replace(MARKER, '').trim();
    return before === '' && i > 0 ? i - 1 : i;
  };
  const claimOf = (i: number) => answer.slice(sentences[i].start, sentences[i].end).replace(MARKER, '').replace(/\s+/g, ' ').trim();

  // Every span found per cited source; a cited source with no abstract has none.
  const found = new Map<number, Span[]>();
  const replacements: Array<{ start: number; end: number; text: string }> = [];
  for (const m of answer.matchAll(MARKER)) {
    if (sentences.length === 0) break;
    const claim = claimOf(sentenceOf(m.index!));
    const kept: number[] = [];
    for (const n of expand(m[1])) {
      let source = byN.get(n);
      if (!source) {
        // Re-attribute to the given source that supports this claim best, if one clearly does.
        const candidates = sources.map((s) => ({ s, span: bestSupport(claim, s.paper, idf) })).sort((a, b) => (b.span?.support ?? 0) - (a.span?.support ?? 0));
        const top = candidates[0];
        if (top && (top.span?.support ?? 0) >= REATTRIBUTE_THRESHOLD) {
          source = top.s;
          notices.push(`Citation [${n}] named no source (there were ${sources.length}); it was re-attributed to [${source.n}], which supports that sentence.`);
        } else {
          notices.push(`Citation [${n}] named no source (there were ${sources.length}) and was removed.`);
          continue;
        }
      }
      if (!kept.includes(source.n)) kept.push(source.n);
      const span = bestSupport(claim, source.paper, idf);
      found.set(source.n, [...(found.get(source.n) ?? []), ...(span ? [span] : [])]);
    }
    const text = kept.length ? `[${kept.join(', ')}]` : '';
    if (text !== m[0]) replacements.push({ start: m.index!, end: m.index! + m[0].length, text });
  }

  let repaired = answer;
  for (const r of replacements.reverse()) repaired = repaired.slice(0, r.start) + r.text + repaired.slice(r.end);
  repaired = repaired.replace(/[ \t]+([.,;:])/g, '$1').replace(/[ \t]{2,}/g, ' ').trim();

  const citations = [...found.entries()].sort((a, b) => a[0] - b[0]).map(([n, spans]) => citationFor(byN.get(n)!, spans));
  const unsupported = citations.filter((c) => !c.supported).map((c) => `[${c.n}]`);
  if (unsupported.length) notices.push(`No sentence of the cited abstract clearly supports the claim citing ${unsupported.join(', ')}; marked unsupported.`);
  return { answer: repaired, citations, notices };
}
