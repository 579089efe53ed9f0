// Near-miss questions made from answerable ones, for fitting the gate: the question stays about its
// paper but names something the paper does not cover, either swapped in for one of its rarest
// topic words ("…mammography use…" → "…colonoscopy use…") or added as a setting or population
// ("… in Kinmen?", "… among caregivers?"). A population is often an everyday word, so populations
// are taken as abstracts write who they studied ("among …", "… aged"), however common the word;
// other words must be specific. The words come from other abstracts, of this corpus (so the corpus
// knows them) or of another corpus (so it does not), never from a hand-made list, and never from
// the hand-written near-miss set the report uses.
import type { Paper } from '../../src/types.js';
import { contentTerms, isStopword, stem } from '../../src/text/terms.js';
import { isFrameTerm } from '../../src/answer/question.js';
import { paperText } from '../../src/answer/paper-text.js';
import { specificity } from '../../src/text/everyday-words.js';

/** A small deterministic generator (mulberry32), so the same run fits the same parameters. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Vocabulary {
  /** Lower-case topic words (nouns, mostly) and the stems they carry. */
  words: string[];
  /** Capitalised words from inside sentences: places, programmes, named groups. */
  names: string[];
  /**
   * Who a study is about, as abstracts write it ("among adolescents", "45 nurses were"): everyday
   * words as often as not, which a reader writes into a question ("…among police officers?").
   */
  groups: string[];
  stems: Set<string>;
}

/**
 * The specific topic words and names of a set of abstracts: words few abstracts use (at most three)
 * and everyday speech rarely does, so that naming one is naming a topic.
 */
export function vocabularyOf(papers: Paper[]): Vocabulary {
  const df = new Map<string, number>();
  const names = new Set<string>();
  const groups = new Set<string>();
  const stems = new Set<string>();
  for (const p of papers) {
    const text = `${p.title ?? ''} ${p.abstract ?? ''}`;
    for (const t of contentTerms(text)) stems.add(t);
    const seen = new Set<string>();
    for (const m of text.matchAll(/(?<=[a-z,;] )([A-Z][a-z]{3,})\b|\b([a-z]{6,})\b/g)) {
      if (m[1]) names.add(m[1]);
      else if (m[2] && !isStopword(m[2]) && !isFrameTerm(stem(m[2]))) seen.add(m[2]);
    }
    for (const w of seen) df.set(w, (df.get(w) ?? 0) + 1);
    for (const m of text.matchAll(/\b(?:among|amongst) (?:[a-z-]+ )?([a-z]{4,}s|women|men|children)\b|\b\d+ (?:[a-z-]+ )?([a-z]{4,}s|women|men|children)(?= (?:who|aged)\b)/g)) {
      const w = m[1] ?? m[2];
      // A plural, not "class", "diabetes", "multiparous"; and not a word for any group at all.
      if (/(?:ss|us|is)$/.test(w) || GENERIC_GROUPS.has(w)) continue;
      if (!isStopword(w) && !isFrameTerm(stem(w))) groups.add(w);
    }
  }
  const words = [...df].filter(([w, n]) => n <= 3 && specificity(w) >= 0.7).map(([w]) => w);
  return { words: words.sort(), names: [...names].filter((n) => specificity(n) >= 0.7).sort(), groups: [...groups].sort(), stems };
}

const GENERIC_GROUPS = new Set(['others', 'groups', 'subgroups', 'cases', 'controls', 'items', 'various', 'categories', 'members', 'populations', 'subpopulations', 'thousands', 'variables']);

const pick = <T>(xs: T[], r: () => number): T => xs[Math.floor(r() * xs.length)];

/**
 * Two near-misses of an answerable question about `paper`: a swapped topic word and an added setting.
 * `own` is the question's corpus, `foreign` another one, so half the new words are unknown.
 */
export function nearMissesOf(question: string, paper: Paper, own: Vocabulary, foreign: Vocabulary, r: () => number): string[] {
  const inPaper = paperText(paper).all;
  const fresh = (w: string) => !inPaper.has(stem(w.toLowerCase()));
  const out: string[] = [];
  const unknownTo = (ws: string[]) => ws.filter((w) => !own.stems.has(stem(w.toLowerCase())));
  const source = () => (r() < 0.5 ? own : { ...foreign, words: unknownTo(foreign.words), names: unknownTo(foreign.names), groups: unknownTo(foreign.groups) });

  // Swap: the question's rarest topic word that the paper uses, for one it does not.
  const tokens = [...question.matchAll(/\b[A-Za-z][A-Za-z-]{3,}\b/g)].map((m) => ({ word: m[0], at: m.index! }));
  const swappable = tokens.filter((t) => {
    const s = stem(t.word.toLowerCase());
    return !isStopword(t.word.toLowerCase()) && !isFrameTerm(s) && inPaper.has(s);
  });
  if (swappable.length) {
    const target = swappable[Math.floor(r() * Math.min(3, swappable.length))];
    const vocab = source();
    const candidates = vocab.words.filter(fresh);
    if (candidates.length) {
      const w = pick(candidates, r);
      out.push(question.slice(0, target.at) + w + question.slice(target.at + target.word.length));
    }
  }
  // Add: a setting or a population the paper never mentions.
  const vocab = source();
  const names = vocab.names.filter(fresh);
  const groups = vocab.groups.filter(fresh);
  const words = vocab.words.filter(fresh);
  const stem0 = question.replace(/\s*[?.!]*\s*$/, '');
  const which = r();
  if (which < 0.4 && names.length) out.push(`${stem0} in ${pick(names, r)}?`);
  else if (which < 0.7 && groups.length) out.push(`${stem0} among ${pick(groups, r)}?`);
  else if (words.length) out.push(`${stem0} among ${pick(words, r)}?`);
  return out;
}
