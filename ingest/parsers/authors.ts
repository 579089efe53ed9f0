// Person names arrive as "Family, Given", "Given Family", MEDLINE's "Family GM" or structured
// objects; everything downstream wants { family, given }.
import type { Author } from '../../src/types.js';

/**
 * Parses one person's name as written in an export.
 * @example parseAuthorName('Mak, Winnie W. S.') // { family: 'Mak', given: 'Winnie W. S.' }
 * @example parseAuthorName('Winnie W. S. Mak') // { family: 'Mak', given: 'Winnie W. S.' }
 */
export function parseAuthorName(raw: string): Author | null {
  const name = raw.replace(/\s+/g, ' ').replace(/[◽;]+$/g, '').trim();
  if (!name || name === '...' || name === '…') return null;
  const comma = name.indexOf(',');
  if (comma > 0) {
    const family = name.slice(0, comma).trim();
    const given = name.slice(comma + 1).trim();
    return given ? { family, given } : { family };
  }
  const parts = name.split(' ');
  if (parts.length === 1) return { family: name };
  // MEDLINE short form "Mak WW": family first, then initials in capitals.
  const last = parts[parts.length - 1];
  if (parts.length === 2 && /^([A-Z]\.?){1,3}$/.test(last) && parts[0].length > 1) return { family: parts[0], given: last };
  return { family: last, given: parts.slice(0, -1).join(' ') };
}

/** Splits a list of names on ";" (Scopus, WoS) or " and " (BibTeX-like strings). */
export function parseAuthorList(raw: string): Author[] {
  const pieces = raw.includes(';') ? raw.split(';') : raw.split(/\s+and\s+/);
  return pieces.map(parseAuthorName).filter((a): a is Author => a !== null);
}

/** Authors from JSON: strings, {given, family}, CSL {literal} or {name}. */
export function authorsFromJson(value: unknown): Author[] {
  if (typeof value === 'string') return parseAuthorList(value);
  if (!Array.isArray(value)) return [];
  const out: Author[] = [];
  for (const item of value) {
    if (typeof item === 'string') {
      const a = parseAuthorName(item);
      if (a) out.push(a);
    } else if (item && typeof item === 'object') {
      const o = item as Record<string, unknown>;
      const family = str(o.family) ?? str(o.lastName) ?? str(o.last) ?? str(o.literal) ?? str(o.name);
      const given = str(o.given) ?? str(o.firstName) ?? str(o.first);
      if (family) out.push(given ? { family, given } : { family });
    }
  }
  return out;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() ? v.trim() : undefined;
}
