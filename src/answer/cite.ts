// Citations, the same for every answerer. An extractive answer arrives as quotes and becomes
// segments directly. An LLM's prose is parsed into segments once, here: each sentence's [n] must
// name a source that was given; the cited abstract's sentence that best supports the claim becomes
// the span; a marker naming no given source is re-attributed to a source that supports the claim,
// or removed; a citation no sentence supports is kept but marked unsupported. An answer can
// therefore never cite a paper that was not among its sources.
import type { Paper } from '../types.js';
import { displayName } from '../text/author-names.js';
import { splitSentences } from '../text/sentences.js';
import type { Calibration } from './calibration.js';
import { mustCover, weightedShare } from './paper-evidence.js';
import { mentions, paperText, type PaperSentence } from './paper-text.js';
import { analyseQuestion, type QuestionTerm, type TermStats } from './question.js';
import type { AnswerSegment, SegmentCitation } from './segments.js';

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
  /** The best supporting span, verbatim: (abstract or title).slice(quoteStart, quoteEnd). */
  quote: string | null;
  quoteStart: number | null;
  quoteEnd: number | null;
  /** Where the quote comes from: the abstract, or the title of a paper indexed by title only. */
  quoteField: 'abstract' | 'title' | null;
  /** Every span the answer cites from this source, in the order the answer cites them. */
  spans: Array<{ start: number; end: number; text: string; field: 'abstract' | 'title' }>;
  supported: boolean;
  /** Share of the claim's topic words the best span holds (for a quote: of the question's, with its neighbours). */
  support: number;
  score: number;
  design: string | null;
  sampleSize: string | null;
}

export interface CitedAnswer {
  segments: AnswerSegment[];
  citations: Citation[];
  notices: string[];
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
    pmid: p.pmid,
    url: p.url,
    design: p.design,
    sampleSize: p.sampleSize,
  };
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

function fieldText(p: Paper, field: 'abstract' | 'title'): string {
  return (field === 'title' ? p.title : p.abstract) ?? '';
}

interface Span {
  start: number;
  end: number;
  field: 'abstract' | 'title';
  support: number;
  supported: boolean;
}

/** A source's citation: its reference, every span the answer cites from it, the best as the quote. */
function citationFor(source: Source, spans: Span[]): Citation {
  const p = source.paper;
  const best = [...spans].sort((a, b) => b.support - a.support)[0] ?? null;
  const unique = spans.filter((s, i) => spans.findIndex((o) => o.start === s.start && o.field === s.field) === i);
  return {
    n: source.n,
    ...paperReference(p),
    quote: best ? fieldText(p, best.field).slice(best.start, best.end) : null,
    quoteStart: best?.start ?? null,
    quoteEnd: best?.end ?? null,
    quoteField: best?.field ?? null,
    spans: unique.filter((s) => s.supported).map((s) => ({ start: s.start, end: s.end, field: s.field, text: fieldText(p, s.field).slice(s.start, s.end) })),
    supported: spans.some((s) => s.supported),
    support: round3(best?.support ?? 0),
    score: round3(source.score),
  };
}

/** The sources an answer is being written from, as citations with no spans yet (the SSE `sources` event). */
export function sourceCitations(sources: Source[]): Citation[] {
  return sources.map((s) => citationFor(s, []));
}

/** The citations of a set of segments: one per cited source, holding every span the segments cite from it. */
export function collectCitations(segments: AnswerSegment[], sources: Source[], supportOf: (c: SegmentCitation) => number): Citation[] {
  const byN = new Map(sources.map((s) => [s.n, s]));
  const spans = new Map<number, Span[]>();
  for (const seg of segments) {
    for (const c of seg.citations) {
      const list = spans.get(c.n) ?? [];
      list.push({ start: c.start, end: c.end, field: c.field, supported: c.supported, support: supportOf(c) });
      spans.set(c.n, list);
    }
  }
  return [...spans.entries()].sort((a, b) => a[0] - b[0]).map(([n, list]) => citationFor(byN.get(n)!, list));
}

/** A verbatim sentence (or a title-only paper's title) that an answer quotes. */
export interface QuotedSentence {
  paper: Paper;
  sentence: PaperSentence;
  /** Share of the question's topic words the sentence and its neighbours hold. */
  support: number;
  paperScore: number;
}

/** A quoted sentence as a segment's text: a title is marked as a title. */
export function quoteText(s: PaperSentence): string {
  return s.field === 'title' ? `A paper titled “${s.text.replace(/[.!?]+$/, '')}” addresses this; only its title is indexed, so there is no abstract to quote.` : s.text;
}

/**
 * An extractive answer's segments and citations: one segment per quote, numbered by paper in the
 * order the papers answer, each paper's quotes in reading order.
 */
export function citeQuotes(quotes: QuotedSentence[]): CitedAnswer {
  const order = [...new Set(quotes.map((q) => q.paper.id))];
  const sources: Source[] = order.map((id, i) => {
    const q = quotes.find((x) => x.paper.id === id)!;
    return { n: i + 1, paper: q.paper, score: q.paperScore };
  });
  const nOf = new Map(sources.map((s) => [s.paper.id, s.n]));
  const ordered = [...quotes].sort((a, b) => nOf.get(a.paper.id)! - nOf.get(b.paper.id)! || a.sentence.start - b.sentence.start);
  const support = new Map<string, number>();
  const segments: AnswerSegment[] = ordered.map((q) => {
    const s = q.sentence;
    const n = nOf.get(q.paper.id)!;
    support.set(`${n}:${s.field}:${s.start}`, q.support);
    return { text: quoteText(s), citations: [{ n, paperId: q.paper.id, start: s.start, end: s.end, field: s.field, supported: true }] };
  });
  return { segments, citations: collectCitations(segments, sources, (c) => support.get(`${c.n}:${c.field}:${c.start}`) ?? 0), notices: [] };
}

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

/** Weighted share of a claim's topic words that a sentence holds. */
export function supportOf(terms: QuestionTerm[], s: PaperSentence): number {
  return weightedShare(terms, (t) => mentions(t, s.terms, s.folded));
}

/**
 * The sentence of a paper (or its title, when it has no abstract) that best supports a claim, given
 * as the claim's topic words (read once per claim). A sentence that asks, or states a gap
 * ("Little is known about…"), supports nothing.
 */
export function bestSupport(claim: QuestionTerm[], paper: Paper): (Span & { sentence: PaperSentence }) | null {
  let best: (Span & { sentence: PaperSentence }) | null = null;
  for (const s of paperText(paper).sentences) {
    if (s.background || s.question) continue;
    const support = supportOf(claim, s);
    if (!best || support > best.support) best = { start: s.start, end: s.end, field: s.field, support, supported: false, sentence: s };
  }
  return best;
}

/** Sentences of a model's reply; a line break always ends one (bullets, "## Theme" headings). */
function lineSentences(text: string): Array<{ start: number; end: number }> {
  const out: Array<{ start: number; end: number }> = [];
  let offset = 0;
  for (const line of text.split('\n')) {
    for (const s of splitSentences(line)) out.push({ start: offset + s.start, end: offset + s.end });
    offset += line.length + 1;
  }
  return out;
}

/**
 * Parses an answer written against numbered sources into segments, checking every citation.
 * @example checkCitations('Peers reduced stigma [9].', sources, stats, calibration).notices // ['Citation [9] named no source…']
 */
export function checkCitations(answer: string, sources: Source[], stats: TermStats, calibration: Calibration): CitedAnswer {
  const threshold = calibration.support.threshold;
  const byN = new Map(sources.map((s) => [s.n, s]));
  const notices: string[] = [];
  const sentences = lineSentences(answer);
  // "…claim. [1] Next claim": a marker opening a sentence belongs to the one before it.
  const owner = (offset: number): number => {
    let i = sentences.findIndex((s) => offset >= s.start && offset < s.end);
    if (i < 0) i = sentences.length - 1;
    const before = answer.slice(sentences[i].start, offset).replace(MARKER, '').trim();
    return before === '' && i > 0 ? i - 1 : i;
  };
  const markers = new Map<number, number[]>();
  for (const m of answer.matchAll(MARKER)) {
    if (sentences.length === 0) break;
    const i = owner(m.index!);
    markers.set(i, [...(markers.get(i) ?? []), ...expand(m[1])]);
  }

  const supports = new Map<SegmentCitation, number>();
  const segments: AnswerSegment[] = [];
  sentences.forEach((span, i) => {
    const claim = answer.slice(span.start, span.end).replace(MARKER, '').replace(/^\s*[-*•]\s+/, '').replace(/\s+([.,;:!?])/g, '$1').replace(/\s+/g, ' ').trim();
    if (!claim || /^[\s.,;:!?]*$/.test(claim)) return;
    const citations: SegmentCitation[] = [];
    const terms = mustCover(analyseQuestion(claim, stats));
    for (const n of markers.get(i) ?? []) {
      let source = byN.get(n);
      if (!source) {
        const candidates = sources.map((s) => ({ s, span: bestSupport(terms, s.paper) })).sort((a, b) => (b.span?.support ?? 0) - (a.span?.support ?? 0));
        const top = candidates[0];
        if (top?.span && top.span.support >= threshold) {
          source = top.s;
          notices.push(`Citation [${n}] named no source (there were ${sources.length}); it was re-attributed to [${source.n}], which supports that sentence.`);
        } else {
          notices.push(`Citation [${n}] named no source (there were ${sources.length}) and was removed.`);
          continue;
        }
      }
      if (citations.some((c) => c.n === source!.n)) continue;
      const best = bestSupport(terms, source.paper);
      if (!best) continue;
      const c: SegmentCitation = { n: source.n, paperId: source.paper.id, start: best.start, end: best.end, field: best.field, supported: best.support >= threshold };
      supports.set(c, best.support);
      citations.push(c);
    }
    segments.push({ text: claim, citations });
  });

  const citations = collectCitations(segments, sources, (c) => supports.get(c) ?? 0);
  const unsupported = citations.filter((c) => !c.supported).map((c) => `[${c.n}]`);
  if (unsupported.length) notices.push(`No sentence of the cited abstract clearly supports the claim citing ${unsupported.join(', ')}; marked unsupported.`);
  return { segments, citations, notices };
}
