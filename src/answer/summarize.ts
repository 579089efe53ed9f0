// Cited summaries without an LLM, read top-down: choose the sentences (a topic's: only from papers
// that pass the answer gate, and only sentences about the topic; chosen papers': each one's main
// finding) → group them into themes by what they say (themes.ts) → within a theme, strongest
// evidence first (design, then sample size, then year) → say whether the papers agree
// (agreement.ts) → number citations by first appearance.
import type { TermStats } from '../store/lexical-index.js';
import type { Paper, StudyDesign } from '../types.js';
import { readFinding, themeAgreement, type Agreement, type Direction } from './agreement.js';
import type { JudgedPaper } from './answerability.js';
import { collectCitations, type Citation, type Source } from './cite.js';
import { mustCover } from './paper-evidence.js';
import { paperText, type PaperSentence } from './paper-text.js';
import { asksAboutEffect, type AnalysedQuestion } from './question.js';
import { renderAnswer, type AnswerSegment } from './segments.js';
import { clusterThemes, REPORTING, THEME_SIMILARITY, themeName, type ThemeItem } from './themes.js';

/** Sentences a paper may give a topic summary, and a chosen paper the shared themes. */
const PER_PAPER = 2;
const SHARED_PER_PAPER = 2;
/** A topic sentence must name the topic itself or, with its neighbours, cover half of it. */
const MIN_CONTEXT = 0.5;

export interface SummarySentence {
  text: string;
  n: number;
  paperId: string;
  start: number;
  end: number;
  /** What the finding says happened: a change up or down, none, or not stated. */
  direction: Direction | null;
}

export interface SummaryTheme {
  /** Named from the theme's own distinctive words. */
  theme: string;
  terms: string[];
  /** The papers that report it, in the order shown. */
  papers: string[];
  agreement: Agreement;
  /** Papers whose finding on the theme goes the other way. */
  contrasting: string[];
  /** What the page shows under the theme: how many papers, and what can be said of their agreement. */
  note: string;
  sentences: SummarySentence[];
}

export interface PaperFinding {
  paperId: string;
  label: string;
  /** The paper's main finding, cited; absent when it has no abstract. */
  sentence?: SummarySentence;
  missing?: 'no abstract to summarise' | 'not in the index';
}

export interface SummaryDraft {
  summary: string;
  segments: AnswerSegment[];
  themes: SummaryTheme[];
  /** For a summary of chosen papers: each paper's main finding, in the order asked. */
  findings?: PaperFinding[];
  sources: Source[];
  citations: Citation[];
}

interface Picked {
  paper: Paper;
  sentence: PaperSentence;
  score: number;
}

/** A sentence's direction and outcome, read once: themes, agreement notes and the API all ask. */
const readFindings = new WeakMap<PaperSentence, ReturnType<typeof readFinding>>();
function findingOf(sentence: PaperSentence): ReturnType<typeof readFinding> {
  let f = readFindings.get(sentence);
  if (!f) readFindings.set(sentence, (f = readFinding(sentence.text)));
  return f;
}

const DESIGN_STRENGTH: Partial<Record<StudyDesign, number>> = {
  'meta-analysis': 0,
  'systematic review': 1,
  'randomised controlled trial': 2,
  cohort: 3,
  longitudinal: 3,
  'cross-sectional survey': 4,
  survey: 4,
  'mixed methods': 5,
  qualitative: 6,
  'scoping review': 6,
  review: 7,
  'case study': 8,
};

function sampleOf(p: Paper): number {
  const m = p.sampleSize?.replace(/,/g, '').match(/\d+/);
  return m ? Number(m[0]) : 0;
}

/** Strongest evidence first: design, then sample size, then the newer paper. */
function strength(a: Paper, b: Paper): number {
  const d = (p: Paper) => (p.design ? (DESIGN_STRENGTH[p.design] ?? 9) : 9);
  return d(a) - d(b) || sampleOf(b) - sampleOf(a) || (b.year ?? 0) - (a.year ?? 0);
}

/** Results before conclusions; a sentence that reports a result outright before one that hedges. */
const RESULT_CUE = /\b(found|showed|shown|reported|revealed|indicated?|identified|emerged|appears? to|appeared to|no (?:significant )?(?:change|difference)|improv|reduc|increas|decreas|associated|remained|preferr?)\w*/i;

/** The sentences of the papers that passed the gate that are about the topic. */
export function topicSentences(topic: AnalysedQuestion, onTopic: JudgedPaper[]): Picked[] {
  const out: Picked[] = [];
  const effect = asksAboutEffect(topic);
  for (const j of onTopic) {
    const candidates = j.evidence.sentences
      .filter((s) => s.eligible && s.sentence.field === 'abstract' && (s.sentence.role === 'Findings' || s.sentence.role === 'Implications'))
      .filter((s) => s.coverage > 0 && (s.context >= MIN_CONTEXT || s.coverage >= MIN_CONTEXT || mustCover(topic).length === 1))
      .filter((s) => !effect || findingOf(s.sentence).direction !== null)
      .map((s) => ({ paper: j.evidence.paper, sentence: s.sentence, score: s.context + s.coverage + 0.5 * s.passage + (s.sentence.role === 'Findings' ? 0.1 : 0) }))
      .sort((a, b) => b.score - a.score || a.sentence.index - b.sentence.index);
    out.push(...candidates.slice(0, PER_PAPER));
  }
  // The same sentence in two records (a duplicate under another id) is said once.
  const seen = new Set<string>();
  return out.filter((p) => (seen.has(p.sentence.text) ? false : (seen.add(p.sentence.text), true)));
}

/** A chosen paper's findings, best first: results before implications, outright results first, then later sentences. */
function findingSentences(paper: Paper, topic: AnalysedQuestion | null): Picked[] {
  // Every word of a named finding counts here, its frame words too ("change" in "no change in stigma").
  const terms = topic ? topic.terms : [];
  return paperText(paper)
    .sentences.filter((s) => s.field === 'abstract' && !s.background && !s.question && (s.role === 'Findings' || s.role === 'Implications'))
    .map((s) => {
      const cover = terms.length ? terms.filter((t) => s.terms.has(t.term)).length / terms.length : 0;
      const score = cover + (s.role === 'Findings' ? 0.3 : 0) + (RESULT_CUE.test(s.text) ? 0.3 : 0) + 0.05 * (s.index / Math.max(1, paperText(paper).sentences.length));
      return { paper, sentence: s, score };
    })
    .sort((a, b) => b.score - a.score || a.sentence.index - b.sentence.index);
}

interface Grouped {
  name: string;
  terms: string[];
  members: Picked[];
  agreement: Agreement;
  contrasting: string[];
}

/**
 * Picked sentences grouped into themes, each ordered by strength of evidence, with its agreement.
 * `oneTheme`: they are all about one thing already (chosen papers' findings on a named topic).
 */
function groupThemes(picked: Picked[], stats: TermStats, topic: AnalysedQuestion | null, minPapers = 1, oneTheme = false): Grouped[] {
  const topicStems = new Set(topic ? mustCover(topic).map((t) => t.term) : []);
  const items: ThemeItem[] = picked.map((p) => ({ text: p.sentence.text, terms: p.sentence.terms }));
  const groups = oneTheme ? [picked.map((_, i) => i)] : clusterThemes(items, stats, topicStems, minPapers > 1 ? THEME_SIMILARITY.shared : THEME_SIMILARITY.topic);
  // An outcome word names something measured, not the reporting around it ("participants").
  const outcome = (t: string) => t.length > 2 && !/^\d/.test(t) && !REPORTING.has(t);
  return groups
    .map((g) => {
      // A shared theme shows what each paper says once: its best sentence in the theme.
      const chosen = minPapers > 1 ? g.filter((i, k) => g.findIndex((j) => picked[j].paper.id === picked[i].paper.id) === k) : g;
      const members = chosen.map((i) => picked[i]).sort((a, b) => strength(a.paper, b.paper) || a.sentence.index - b.sentence.index);
      const others = items.filter((_, i) => !g.includes(i));
      // Chosen papers' findings on a named topic are about that topic: it names their theme.
      const { name, terms } = oneTheme && topic ? { name: topic.text, terms: mustCover(topic).map((t) => t.surface) } : themeName(g.map((i) => items[i]), others, stats, topicStems);
      const { agreement, contrasting } = themeAgreement(
        members.map((m) => ({ paperId: m.paper.id, ...findingOf(m.sentence) })),
        outcome,
      );
      return { name, terms, members, agreement, contrasting };
    })
    .filter((g) => new Set(g.members.map((m) => m.paper.id)).size >= minPapers);
}

function agreementNote(g: Grouped, label: (id: string) => string): string {
  const papers = new Set(g.members.map((m) => m.paper.id)).size;
  if (g.agreement === 'single') return 'Reported by 1 paper.';
  if (g.agreement === 'mixed') return `Reported by ${papers} papers, mixed: ${g.contrasting.map(label).join(', ')} ${g.contrasting.length === 1 ? 'finds' : 'find'} otherwise.`;
  // "Agree" is said in so many words only when two papers report the same direction; otherwise
  // all the rule can say is that none contradicts another.
  const directions = new Map<string, Direction>();
  for (const m of g.members) {
    const d = findingOf(m.sentence).direction;
    if (d && !directions.has(m.paper.id)) directions.set(m.paper.id, d);
  }
  const counts = [...directions.values()].reduce((acc, d) => acc.set(d, (acc.get(d) ?? 0) + 1), new Map<Direction, number>());
  const shared = [...counts.entries()].find(([, n]) => n >= 2);
  const how = shared ? { none: 'no change', down: 'a decrease', up: 'an increase or a benefit' }[shared[0]] : null;
  return how ? `Reported by ${papers} papers, which agree: ${shared![1]} of them report ${how}.` : `Reported by ${papers} papers; none contradicts another.`;
}

/** Numbers papers by first appearance in the segments, and renders the summary. */
function assemble(parts: Array<{ heading?: string; note?: string; picked: Picked[] }>, themes: Array<Grouped & { note: string }>, findings?: Array<{ paper: Paper; picked?: Picked; missing?: PaperFinding['missing'] }>): SummaryDraft {
  const numbers = new Map<string, number>();
  const sources: Source[] = [];
  const numberOf = (p: Paper) => {
    let n = numbers.get(p.id);
    if (n === undefined) {
      n = numbers.size + 1;
      numbers.set(p.id, n);
      sources.push({ n, paper: p, score: 1 });
    }
    return n;
  };
  const segments: AnswerSegment[] = [];
  const sentenceOf = (p: Picked): SummarySentence => ({ text: p.sentence.text, n: numberOf(p.paper), paperId: p.paper.id, start: p.sentence.start, end: p.sentence.end, direction: findingOf(p.sentence).direction });
  for (const part of parts) {
    if (part.heading) segments.push({ text: `## ${part.heading}`, citations: [] });
    if (part.note) segments.push({ text: part.note, citations: [] });
    for (const p of part.picked) {
      const s = sentenceOf(p);
      segments.push({ text: s.text, citations: [{ n: s.n, paperId: s.paperId, start: s.start, end: s.end, field: 'abstract', supported: true }] });
    }
  }
  const summaryThemes: SummaryTheme[] = themes.map((g) => ({
    theme: g.name,
    terms: g.terms,
    papers: [...new Set(g.members.map((m) => m.paper.id))],
    agreement: g.agreement,
    contrasting: g.contrasting,
    note: g.note,
    sentences: g.members.map(sentenceOf),
  }));
  const draft: SummaryDraft = { summary: renderAnswer(segments), segments, themes: summaryThemes, sources, citations: collectCitations(segments, sources, () => 1) };
  if (findings) {
    draft.findings = findings.map((f) => ({ paperId: f.paper.id, label: f.paper.label, ...(f.picked ? { sentence: sentenceOf(f.picked) } : { missing: f.missing }) }));
  }
  return draft;
}

/**
 * A topic's summary from the papers that passed the answer gate (at least two).
 * @example summarizeTopic(analyseQuestion('peer support and stigma', stats), onTopic, stats).themes[0].agreement // 'mixed'
 */
export function summarizeTopic(topic: AnalysedQuestion, onTopic: JudgedPaper[], stats: TermStats): SummaryDraft {
  const label = (id: string) => onTopic.find((j) => j.evidence.paper.id === id)?.evidence.paper.label ?? id;
  const groups = groupThemes(topicSentences(topic, onTopic), stats, topic).map((g) => ({ ...g, note: agreementNote(g, label) }));
  return assemble(
    groups.map((g) => ({ heading: g.name, note: g.note, picked: g.members })),
    groups,
  );
}

/**
 * A summary of exactly the papers asked for: each one's main finding (or why there is none), then
 * the themes two or more of them share.
 * @example summarizeChosen(papers, null, stats).findings.length // papers.length
 */
export function summarizeChosen(papers: Array<Paper | { id: string; missing: true }>, topic: AnalysedQuestion | null, stats: TermStats): SummaryDraft {
  const ranked = papers.map((p) => ('missing' in p || !p.abstract ? [] : findingSentences(p, topic)));
  const findings = papers.map((p, i) => {
    if ('missing' in p) return { paper: { id: p.id, label: p.id } as Paper, missing: 'not in the index' as const };
    const best = ranked[i][0];
    return best ? { paper: p, picked: best } : { paper: p, missing: 'no abstract to summarise' as const };
  });
  // On a named topic, what the papers share is their findings on it, from the papers whose finding
  // names it; without one, the themes two or more of their findings fall into.
  const about = topic ? mustCover(topic) : [];
  const onTopic = (p: Picked) => about.some((t) => p.sentence.terms.has(t.term));
  const shared = topic ? findings.flatMap((f) => (f.picked && onTopic(f.picked) ? [f.picked] : [])) : ranked.flatMap((r) => r.slice(0, SHARED_PER_PAPER));
  const label = (id: string) => findings.find((f) => f.paper.id === id)?.paper.label ?? id;
  const groups = (shared.length > 1 ? groupThemes(shared, stats, topic, 2, topic !== null) : []).map((g) => ({ ...g, note: agreementNote(g, label) }));
  const parts: Array<{ heading?: string; note?: string; picked: Picked[] }> = [{ heading: 'Main findings', picked: [] }];
  for (const f of findings) {
    if (f.picked) parts.push({ note: `${f.paper.label}:`, picked: [f.picked] });
    else parts.push({ note: `${f.paper.label}: ${f.missing}.`, picked: [] });
  }
  const summarised = findings.filter((f) => f.picked).length;
  if (groups.length) for (const g of groups) parts.push({ heading: `Shared: ${g.name}`, note: g.note, picked: g.members });
  else if (summarised > 1 && topic) parts.push({ heading: 'Shared', note: `Fewer than two of these papers report a finding on “${topic.text}”.`, picked: [] });
  else if (summarised > 1) parts.push({ heading: 'Shared', note: 'These papers share no theme in their findings.', picked: [] });
  return assemble(parts, groups, findings);
}
