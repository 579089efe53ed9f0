// Cited multi-paper summaries without an LLM: every sentence of the chosen abstracts is sorted into
// a theme (aims, methods, findings, implications) by its section label or, failing that, its cue
// words (sentence-role.ts); each theme keeps the sentences most relevant to the topic, one per
// paper, each cited.
import type { Paper } from '../types.js';
import type { ThemeName } from './sentence-role.js';
import { collectCitations, type Citation, type Source } from './cite.js';
import { mustCover } from './paper-evidence.js';
import { paperText } from './paper-text.js';
import type { AnalysedQuestion } from './question.js';
import { renderAnswer, type AnswerSegment } from './segments.js';

const THEMES: ThemeName[] = ['Findings', 'Implications', 'Methods and samples', 'Aims and context'];

export interface SummaryTheme {
  theme: ThemeName;
  sentences: Array<{ text: string; n: number; paperId: string; start: number; end: number }>;
}

export interface SummaryDraft {
  summary: string;
  segments: AnswerSegment[];
  themes: SummaryTheme[];
  sources: Source[];
  citations: Citation[];
}

/**
 * @example summarizePapers(analyseQuestion('peer support and stigma', stats), papers).themes[0].theme // 'Findings'
 */
export function summarizePapers(topic: AnalysedQuestion | null, papers: Array<{ paper: Paper; score: number }>, perTheme = 4): SummaryDraft {
  const withText = papers.filter((p) => p.paper.abstract);
  const sources: Source[] = withText.map((p, i) => ({ n: i + 1, paper: p.paper, score: p.score }));
  const terms = topic ? mustCover(topic) : [];
  const total = terms.reduce((a, t) => a + t.idf, 0);
  const pools = new Map<ThemeName, Array<SummaryTheme['sentences'][number] & { rank: number; relevance: number }>>();
  for (const { n, paper } of sources) {
    const { sentences } = paperText(paper);
    sentences.forEach(({ text, start, end, terms: has, role }, i) => {
      if (text.length < 30) return;
      const relevance = total ? terms.reduce((a, t) => a + (has.has(t.term) ? t.idf : 0), 0) / total : 0;
      // Later sentences of an abstract carry its results and conclusions: a slight preference.
      const rank = relevance + 0.05 * (i / Math.max(1, sentences.length - 1)) - 0.02 * (n - 1);
      const pool = pools.get(role) ?? [];
      pool.push({ text, n, paperId: paper.id, start, end, rank, relevance });
      pools.set(role, pool);
    });
  }
  const themes: SummaryTheme[] = [];
  for (const theme of THEMES) {
    const pool = (pools.get(theme) ?? []).sort((a, b) => b.rank - a.rank);
    const seen = new Set<string>();
    const picked = pool.filter((s) => (seen.has(s.paperId) ? false : (seen.add(s.paperId), true))).slice(0, perTheme);
    if (picked.length) themes.push({ theme, sentences: picked.map(({ rank: _rank, relevance: _relevance, ...rest }) => rest) });
  }
  const segments: AnswerSegment[] = themes.flatMap((t) => [
    { text: `## ${t.theme}`, citations: [] },
    ...t.sentences.map((s) => ({ text: s.text, citations: [{ n: s.n, paperId: s.paperId, start: s.start, end: s.end, field: 'abstract' as const, supported: true }] })),
  ]);
  return { summary: renderAnswer(segments), segments, themes, sources, citations: collectCitations(segments, sources, () => 1) };
}
