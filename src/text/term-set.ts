// The content terms of a text, with a looser match than equal stems. Porter stemming leaves
// related forms apart ("stigma" / "stigmatization", "coercion" / "coercive", "psychosis" /
// "psychotic"); a question in one form must still find a sentence in the other. Two stems match
// when they are equal, or share their first six letters and at least 80% of the shorter one.
import { contentTerms } from './terms.js';

const PREFIX = 6;
const SHARED = 0.8;

function sharedPrefix(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  return i;
}

export class TermSet {
  readonly terms: Set<string>;
  private readonly byPrefix = new Map<string, string[]>();

  constructor(terms: Iterable<string>) {
    this.terms = new Set(terms);
    for (const t of this.terms) {
      if (t.length < PREFIX || /\d/.test(t)) continue;
      const key = t.slice(0, PREFIX);
      const list = this.byPrefix.get(key);
      if (list) list.push(t);
      else this.byPrefix.set(key, [t]);
    }
  }

  static of(text: string): TermSet {
    return new TermSet(contentTerms(text));
  }

  /**
   * @example TermSet.of('perceived stigmatization').has('stigma') // true
   */
  has(term: string): boolean {
    if (this.terms.has(term)) return true;
    if (term.length < PREFIX) return false;
    const candidates = this.byPrefix.get(term.slice(0, PREFIX));
    if (!candidates) return false;
    return candidates.some((c) => sharedPrefix(term, c) >= SHARED * Math.min(term.length, c.length));
  }

  get size(): number {
    return this.terms.size;
  }

  /** Both sets' terms, one set. */
  union(other: TermSet): TermSet {
    return new TermSet([...this.terms, ...other.terms]);
  }
}
