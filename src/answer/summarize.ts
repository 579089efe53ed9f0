// Cited multi-paper summaries without an LLM: every sentence of the chosen abstracts is sorted into
// a theme (aims, methods, findings, implications) by its section label or, failing that, its cue
// words (sentence-role.ts); each theme keeps the sentences most relevant to the topic, one per
// paper, each cited.
import type { Paper } from '../types.js';
import type { ThemeName } from './sentence-role.js';
import { analyse, coverageOf, queryTerms, type Idf } from './evidence.js';
import type { Source } from './cite.js';

const THEMES: ThemeName[] = ['Findings', 'Implications', 'Methods and samples', 'Aims and context'];

export interface SummaryTheme {
  theme: ThemeName;
  sentences: Array<{ text: string; n: number; paperId: string; start: number; end: number }>;
}

export interface SummaryDraft {
  summary: string;
  themes: SummaryTheme[];
  sources: Source[];
}

/**
 * @example summarizePapers('peer support and stigma', papers, idf).themes[0].theme // 'Findings'
 */
export function summarizePapers(topic: string | undefined, papers: Array<{ paper: Paper; score: number }>, idf: Idf, perTheme = 4): SummaryDraft {
  const withText = papers.filter((p) => p.paper.abstract);
  const sources: Source[] = withText.map((p, i) => ({ n: i + 1, paper: p.paper, score: p.score }));
  const q = topic ? queryTerms(topic, idf) : null;
  const pools = new Map<ThemeName, Array<SummaryTheme['sentences'][number] & { rank: number }>>();
  for (const { n, paper } of sources) {
    const { sentences } = analyse(paper);
    sentences.forEach(({ text, start, end, terms, theme }, i) => {
      if (text.length < 30) return;
      const relevance = q ? coverageOf(q, terms) : 0;
      // Later sentences of an abstract carry its results and conclusions: a slight preference.
      const rank = relevance + 0.05 * (i / Math.max(1, sentences.length - 1)) - 0.02 * (n - 1);
      const pool = pools.get(theme) ?? [];
      pool.push({ text, n, paperId: paper.id, start, end, rank });
      pools.set(theme, pool);
    });
  }
  const themes: SummaryTheme[] = [];
  for (const theme of THEMES) {
    const pool = (pools.get(theme) ?? []).sort((a, b) => b.rank - a.rank);
    const seen = new Set<string>();
    const picked = pool.filter((s) => (seen.has(s.paperId) ? false : (seen.add(s.paperId), true))).slice(0, perTheme);
    if (picked.length) themes.push({ theme, sentences: picked.map(({ rank: _rank, ...rest }) => rest) });
  }
  const summary = themes
    .map((t) => `## ${t.theme}\n${t.sentences.map((s) => `${s.text.replace(/([.!?]+["”’)]*)?$/, '')} [${s.n}].`).join(' ')}`)
    .join('\n\n');
  return { summary, themes, sources };
}
