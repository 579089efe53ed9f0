// Groups a summary's sentences by what they are about, not by what kind of sentence they are.
// Each sentence is a bag of its content words weighted by idf (the topic's own words at half
// weight: every sentence shares them, so they say little about which theme it belongs to); the
// groups come from average-linkage clustering that merges while the closest two groups are at
// least THEME_SIMILARITY alike (reporting words such as "identified" or "themes" left out). A theme is named after its own most distinctive words: frequent in
// the theme, rare in the corpus and in the other themes, and rare in everyday speech. The offline model gives no useful sentence
// vectors, so similarity is lexical; a trained model's vectors could be blended in here.
import type { TermStats } from '../store/lexical-index.js';
import { specificity } from '../text/everyday-words.js';
import { stem, words } from '../text/terms.js';
import type { TermSet } from '../text/term-set.js';

/**
 * How alike (cosine of idf-weighted words) two groups must be to merge: chosen on the dev topics
 * for a topic's summary; what chosen papers share must be closer, since nothing but the grouping
 * says they are about one thing.
 */
export const THEME_SIMILARITY = { topic: 0.05, shared: 0.1 };
const TOPIC_WEIGHT = 0.5;
const NAME_TERMS = 3;

export interface ThemeItem {
  text: string;
  terms: TermSet;
}

/** Words that report or hedge a finding rather than say what it is about: never a theme's name. */
export const REPORTING = new Set(
  ['study', 'studies', 'finding', 'findings', 'result', 'results', 'participant', 'participants', 'indicate', 'indicates', 'suggest', 'suggests', 'show', 'showed', 'shown', 'report', 'reported', 'found', 'find', 'many', 'may', 'might', 'also', 'however', 'overall', 'identified', 'revealed', 'emerged', 'often', 'commonly', 'significant', 'significantly', 'data', 'analysis', 'evidence', 'paper', 'article', 'research', 'theme', 'themes', 'main'].map(stem),
);

type Vector = Map<string, number>;

function vectorOf(terms: TermSet, stats: TermStats, topic: Set<string>): Vector {
  const v: Vector = new Map();
  let norm = 0;
  for (const t of terms.terms) {
    if (REPORTING.has(t)) continue;
    const w = stats.idf(t) * (topic.has(t) ? TOPIC_WEIGHT : 1);
    v.set(t, w);
    norm += w * w;
  }
  const inv = norm > 0 ? 1 / Math.sqrt(norm) : 0;
  for (const [t, w] of v) v.set(t, w * inv);
  return v;
}

function cosine(a: Vector, b: Vector): number {
  const [small, large] = a.size < b.size ? [a, b] : [b, a];
  let dot = 0;
  for (const [t, w] of small) dot += w * (large.get(t) ?? 0);
  return dot;
}

/**
 * Indices of `items` in groups, largest first (ties: the group whose first item comes first).
 * @example clusterThemes(items, stats, topicStems) // [[0, 3], [1], [2]]
 */
export function clusterThemes(items: ThemeItem[], stats: TermStats, topic: Set<string>, threshold = THEME_SIMILARITY.topic): number[][] {
  const vectors = items.map((it) => vectorOf(it.terms, stats, topic));
  const sim = vectors.map((a) => vectors.map((b) => cosine(a, b)));
  let groups = items.map((_, i) => [i]);
  for (;;) {
    let best = -1;
    let pair: [number, number] | null = null;
    for (let a = 0; a < groups.length; a++) {
      for (let b = a + 1; b < groups.length; b++) {
        let total = 0;
        for (const i of groups[a]) for (const j of groups[b]) total += sim[i][j];
        const avg = total / (groups[a].length * groups[b].length);
        if (avg > best) [best, pair] = [avg, [a, b]];
      }
    }
    if (!pair || best < threshold) break;
    const [a, b] = pair;
    groups[a] = [...groups[a], ...groups[b]].sort((x, y) => x - y);
    groups = groups.filter((_, i) => i !== b);
  }
  return groups.sort((x, y) => y.length - x.length || x[0] - y[0]);
}

/**
 * A theme's name: its NAME_TERMS most distinctive words, as they are written in its sentences.
 * A word scores by how many of the theme's sentences use it, times its idf, less how many other
 * themes' sentences use it. The topic's words are left out unless nothing else is shared.
 */
export function themeName(members: ThemeItem[], others: ThemeItem[], stats: TermStats, topic: Set<string>): { name: string; terms: string[] } {
  const inTheme = new Map<string, number>();
  for (const m of members) for (const t of m.terms.terms) inTheme.set(t, (inTheme.get(t) ?? 0) + 1);
  const outside = (t: string) => others.filter((o) => o.terms.terms.has(t)).length;
  const surface = surfaces(members);
  // Everyday words ("able", "due", "contrast") name nothing, however rare in a small corpus.
  const scores = new Map([...inTheme.keys()].map((t) => [t, (inTheme.get(t)! - outside(t) * 0.5) * stats.idf(t) * specificity(surface(t)) ** 2]));
  const score = (t: string) => scores.get(t)!;
  const shared = [...inTheme.keys()].filter((t) => members.length === 1 || inTheme.get(t)! > 1);
  const pick = (pool: string[]) => pool.filter((t) => !/^\d/.test(t) && t.length > 2 && !REPORTING.has(t)).sort((a, b) => score(b) - score(a) || a.localeCompare(b)).slice(0, NAME_TERMS);
  let chosen = pick(shared.filter((t) => !topic.has(t)));
  if (chosen.length < 2) chosen = pick([...inTheme.keys()].filter((t) => !topic.has(t)));
  if (chosen.length === 0) chosen = pick([...inTheme.keys()]);
  const named = chosen.map(surface);
  return { name: joinWords(named), terms: named };
}

/** For each stem, the commonest way the theme's sentences write it ("stigma" for "stigma"), read in one pass. */
function surfaces(members: ThemeItem[]): (term: string) => string {
  const counts = new Map<string, Map<string, number>>();
  for (const m of members) {
    for (const w of words(m.text)) {
      const byWord = counts.get(stem(w)) ?? new Map<string, number>();
      byWord.set(w, (byWord.get(w) ?? 0) + 1);
      counts.set(stem(w), byWord);
    }
  }
  return (term) => [...(counts.get(term) ?? [])].sort((a, b) => b[1] - a[1] || a[0].length - b[0].length)[0]?.[0] ?? term;
}

function joinWords(list: string[]): string {
  if (list.length <= 1) return capitalise(list[0] ?? 'Other findings');
  return capitalise(`${list.slice(0, -1).join(', ')} and ${list.at(-1)}`);
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
