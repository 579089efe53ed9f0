// BibTeX/BibLaTeX through the parser behind Better BibTeX for Zotero: it turns LaTeX accents and
// commands into Unicode and splits "and"-separated names. We keep titles in their own case.
import { parse } from '@retorquere/bibtex-parser';
import type { Author, RawPaper } from '../../src/types.js';
import { ParseError } from '../../src/errors.js';
import { doiOf, yearOf } from './tagged-records.js';

export function looksLikeBibtex(text: string): boolean {
  return /^\s*@[a-zA-Z]+\s*[{(]/m.test(text);
}

function plain(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  const s = (Array.isArray(value) ? value.join(', ') : String(value))
    .replace(/<\/?(i|b|sup|sub|sc|span|nc|em|strong)[^>]*>/g, '')
    .replace(/\s+/g, ' ')
    .trim();
  return s || null;
}

/** Parses BibTeX; a broken entry is reported (with its line) through onError and skipped. */
export function parseBibtex(content: string, file: string, onError: (e: ParseError) => void): RawPaper[] {
  const result = parse(content, { sentenceCase: false, caseProtection: false, english: false });
  for (const err of result.errors) {
    const line = Number(err.error.match(/line (\d+)/)?.[1]);
    onError(new ParseError(file, `BibTeX: ${err.error.replace(/ at line \d+, column \d+/, '')}`, Number.isFinite(line) ? line : undefined));
  }
  return result.entries
    // The parser still returns a half-read entry for a broken one, with no input: it was reported above.
    .filter((e) => e.input !== '')
    .map((entry) => {
      const f = entry.fields as Record<string, unknown>;
      const creators = (f.author ?? f.editor ?? []) as Array<{ lastName?: string; firstName?: string; prefix?: string; name?: string }>;
      // The parser splits "van der Berg" into a prefix and a last name; the family name is both.
      const family = (c: { lastName?: string; prefix?: string }) => [c.prefix, c.lastName].filter(Boolean).join(' ');
      const authors: Author[] = creators
        .map((c) => (c.lastName ? (c.firstName ? { family: family(c), given: c.firstName } : { family: family(c) }) : c.name ? { family: c.name } : null))
        .filter((a): a is Author => a !== null);
      const offset = content.indexOf(`{${entry.key},`);
      return {
        line: offset >= 0 ? content.slice(0, offset).split('\n').length : undefined,
        title: plain(f.title),
        abstract: plain(f.abstract),
        authors,
        year: yearOf(plain(f.year) ?? plain(f.date)),
        venue: plain(f.journal ?? f.journaltitle ?? f.booktitle),
        volume: plain(f.volume),
        issue: plain(f.number ?? f.issue),
        pages: plain(f.pages)?.replace(/--|–/g, '-') ?? null, // LaTeX "--" becomes an en dash
        doi: doiOf(plain(f.doi)),
        pmid: plain(f.pmid),
        url: plain(f.url),
      };
    });
}
