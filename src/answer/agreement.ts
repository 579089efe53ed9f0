// Whether the papers in a theme say the same thing. A finding's direction is read from its own
// words: "no significant change", "remained unchanged", "did not improve" (no change),
// "reduced", "fewer", "lower" (down), "improved", "increased", "higher" (up), but not after a modal
// ("may benefit", "should increase": advice, not a finding); its outcome is the
// words around that cue. Two papers disagree when their outcomes share a word and one reports a
// change where the other reports none, or one up where the other reports down. The rule's limits,
// stated in README (Summaries): it reads cue words, not scales, so "reduced stigma" and "improved
// well-being" (both good) are compared only when their outcomes share a word; a sentence with cues
// both ways ("improved on X, while Y remained unchanged") takes no side; and a paper's direction is
// that of its first sentence in the theme that has one.
import { TermSet } from '../text/term-set.js';

export type Direction = 'none' | 'up' | 'down';
export type Agreement = 'agree' | 'mixed' | 'single';

const NO_CHANGE =
  /\bno (?:statistically )?(?:significant |substantial |clear |meaningful |marked )?(?:change|difference|improvement|effect|association|reduction|increase|decrease|benefit)s?\b|\b(?:did|does|do|was|were) not (?:significantly )?(?:change|differ|improve|reduce|increase|decrease|affect|predict)\b|\b(?:remained|remain|remains|was|were) (?:largely )?unchanged\b|\bnot (?:statistically )?significant(?:ly)? (?:reduced|improved|increased|decreased|changed|different|lower|higher)\b|\bnot (?:statistically )?significant(?:ly)?\b|\bunchanged\b|\bno improvement\b/i;
const HEDGED = /\b(?:may|might|could|should|would|must|can)\s+(?:not\s+)?(?:(?:be|also|further|significantly|help(?:\s+to)?|to)\s+)?(?:improv|reduc|increas|decreas|benefi|enhanc|lower|rais|gain|alleviat|diminish|declin|chang)\w*/gi;
const DOWN = /\b(?:reduc(?:e|ed|es|ing|tion|tions)|decreas(?:e|ed|es|ing)|lower(?:ed)?|declin(?:ed|es|ing)|fewer|diminish(?:ed|es)|alleviat(?:ed|es))\b/i;
const UP = /\b(?:improv(?:e|ed|es|ing|ement|ements)|increas(?:e|ed|es|ing)|higher|greater|enhanc(?:ed|es|ing)|rais(?:ed|es)|gain(?:ed|s)?|beneficial|benefit(?:ed|s)?)\b/i;

/**
 * @example findingDirection('Self-stigma was reduced for many.') // 'down'
 * @example findingDirection('No significant change in perceived stigmatization was found.') // 'none'
 */
export function findingDirection(text: string): Direction | null {
  return readFinding(text).direction;
}

/** Words either side of a direction cue: what changed (or did not). */
const OUTCOME_WINDOW = 50;

/**
 * A finding's direction and its outcome: the content words within OUTCOME_WINDOW characters of
 * the cue that sets the direction ("self-stigma was reduced" → down, {self, stigma}).
 */
export function readFinding(text: string): { direction: Direction | null; outcome: TermSet } {
  // "Organizations may benefit by…", "services should increase access": advice or a hope, not a
  // finding, so a change verb after a modal is blanked (same length, offsets kept) like the one
  // inside a no-change phrase ("did not improve", "no reduction"), before looking for a change.
  const blank = (m: string) => ' '.repeat(m.length);
  const unhedged = text.replace(HEDGED, blank);
  const none = NO_CHANGE.exec(unhedged);
  const rest = unhedged.replace(new RegExp(NO_CHANGE.source, 'gi'), blank);
  const down = DOWN.exec(rest);
  const up = UP.exec(rest);
  let direction: Direction | null = null;
  let cue: RegExpExecArray | null = null;
  // "no significant change … while X improved": cues both ways take no side.
  if (none && !down && !up) [direction, cue] = ['none', none];
  else if (!none && down && !up) [direction, cue] = ['down', down];
  else if (!none && up && !down) [direction, cue] = ['up', up];
  if (!cue) return { direction: null, outcome: new TermSet([]) };
  const around = text.slice(Math.max(0, cue.index - OUTCOME_WINDOW), cue.index + cue[0].length + OUTCOME_WINDOW);
  return { direction, outcome: TermSet.of(around.replace(cue[0], ' ')) };
}

export interface ThemeFinding {
  paperId: string;
  direction: Direction | null;
  /** The words around the direction's cue (readFinding). */
  outcome: TermSet;
}

/**
 * The theme's agreement and the papers whose finding goes the other way: those in the minority on
 * a shared outcome, or, when the sides are even, those reporting no change (the change is the
 * claim a no-change finding qualifies), or else those against the theme's first paper.
 * `outcome(term)` says which shared words count as an outcome (rare enough to name one).
 */
export function themeAgreement(findings: ThemeFinding[], outcome: (term: string) => boolean): { agreement: Agreement; contrasting: string[] } {
  const papers = [...new Set(findings.map((f) => f.paperId))];
  if (papers.length < 2) return { agreement: 'single', contrasting: [] };
  // One direction per paper: its first sentence in the theme that states one.
  const byPaper = new Map<string, ThemeFinding>();
  for (const f of findings) if (f.direction && !byPaper.has(f.paperId)) byPaper.set(f.paperId, f);
  const stated = [...byPaper.values()];
  const against = new Set<string>();
  for (let i = 0; i < stated.length; i++) {
    for (let j = i + 1; j < stated.length; j++) {
      const a = stated[i];
      const b = stated[j];
      if (a.direction === b.direction) continue;
      const shared = [...a.outcome.terms].some((t) => b.outcome.has(t) && outcome(t));
      if (!shared) continue;
      against.add(a.paperId);
      against.add(b.paperId);
    }
  }
  if (against.size === 0) return { agreement: 'agree', contrasting: [] };
  const counts = new Map<Direction, number>();
  for (const f of stated) if (against.has(f.paperId)) counts.set(f.direction!, (counts.get(f.direction!) ?? 0) + 1);
  const sides = [...counts.entries()].sort((x, y) => y[1] - x[1]);
  let minority: Direction[];
  if (sides.length > 1 && sides[0][1] > sides[1][1]) minority = sides.slice(1).map(([d]) => d);
  else if (counts.has('none')) minority = ['none'];
  else minority = sides.map(([d]) => d).filter((d) => d !== stated.find((f) => against.has(f.paperId))!.direction);
  return { agreement: 'mixed', contrasting: stated.filter((f) => against.has(f.paperId) && minority.includes(f.direction!)).map((f) => f.paperId) };
}
