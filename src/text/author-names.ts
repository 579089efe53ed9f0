// How a person's name is shown to readers: "Given Family", or the family name alone.
import type { Author } from '../types.js';

/** @example displayName({ family: 'Mak', given: 'Winnie W. S.' }) // 'Winnie W. S. Mak' */
export function displayName(a: Author): string {
  return a.given ? `${a.given} ${a.family}` : a.family;
}
