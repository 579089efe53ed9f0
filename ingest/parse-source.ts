// Picks the parser for a file: content first (an RIS export saved as .txt is still RIS), then the
// extension. Returns the raw records and every per-record problem, never throwing for one bad record.
import path from 'node:path';
import type { RawPaper } from '../src/types.js';
import { ParseError } from '../src/errors.js';
import { looksLikeBibtex, parseBibtex } from './parsers/parse-bibtex.js';
import { looksLikeCsv, parseCsv } from './parsers/parse-csv.js';
import { parseJson, parseJsonl } from './parsers/parse-json.js';
import { looksLikeMedline, parseMedline } from './parsers/parse-medline.js';
import { looksLikePubmedXml, parsePubmedXml } from './parsers/parse-pubmed-xml.js';
import { looksLikeRis, parseRis } from './parsers/parse-ris.js';
import { looksLikeSeedListing, parseSeedListing } from './parsers/parse-seed-listing.js';
import { looksLikeWos, parseWos } from './parsers/parse-wos.js';

export type SourceFormat = 'seed-listing' | 'json' | 'jsonl' | 'csv' | 'ris' | 'bibtex' | 'medline' | 'pubmed-xml' | 'wos';

export const SUPPORTED_EXTENSIONS = ['.txt', '.json', '.jsonl', '.ndjson', '.csv', '.tsv', '.ris', '.bib', '.bibtex', '.nbib', '.medline', '.xml'];

/**
 * @example detectFormat('export.txt', 'TY  - JOUR\n…\nER  - ') // 'ris'
 */
export function detectFormat(file: string, text: string): SourceFormat | null {
  const head = text.slice(0, 20_000);
  const trimmed = head.trimStart();
  if (looksLikePubmedXml(head)) return 'pubmed-xml';
  if (looksLikeWos(head)) return 'wos';
  if (looksLikeRis(head)) return 'ris';
  if (looksLikeMedline(head)) return 'medline';
  if (looksLikeSeedListing(head)) return 'seed-listing';
  const ext = path.extname(file).toLowerCase();
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  if (trimmed.startsWith('[') || (trimmed.startsWith('{') && ext === '.json')) return 'json';
  if (trimmed.startsWith('{')) return /^\{.*\}\s*\n\s*\{/s.test(head) ? 'jsonl' : 'json';
  if (looksLikeBibtex(head) && !trimmed.startsWith('<')) return 'bibtex';
  if (ext === '.csv' || ext === '.tsv' || looksLikeCsv(head)) return 'csv';
  switch (ext) {
    case '.ris':
      return 'ris';
    case '.bib':
    case '.bibtex':
      return 'bibtex';
    case '.nbib':
    case '.medline':
      return 'medline';
    case '.xml':
      return 'pubmed-xml';
    default:
      return null;
  }
}

export interface ParsedSource {
  format: SourceFormat;
  papers: RawPaper[];
  errors: ParseError[];
  /** Records read, but perhaps not whole ("file.ris:120: …"). */
  warnings: string[];
}

export function parseSource(file: string, text: string): ParsedSource {
  const format = detectFormat(file, text);
  if (!format) {
    throw new ParseError(
      file,
      `unrecognised format. Supported: RIS, BibTeX, PubMed MEDLINE (.nbib) and XML, Web of Science plain text, CSV/TSV with a header row, JSON, JSONL, CSL-JSON and the bundled listing format`,
    );
  }
  const errors: ParseError[] = [];
  const warnings: string[] = [];
  const onError = (e: ParseError) => errors.push(e);
  const unclosed = (endLine: string) => (line: number) =>
    warnings.push(`${file}:${line}: the record has no closing "${endLine}" line (is the file cut off?); read as far as it goes`);
  const papers = (() => {
    switch (format) {
      case 'seed-listing':
        return parseSeedListing(text);
      case 'json':
        return parseJson(text, file);
      case 'jsonl':
        return parseJsonl(text, file, onError);
      case 'csv':
        return parseCsv(text, file);
      case 'ris':
        return parseRis(text, unclosed('ER  -'));
      case 'bibtex':
        return parseBibtex(text, file, onError);
      case 'medline':
        return parseMedline(text);
      case 'pubmed-xml':
        return parsePubmedXml(text, file);
      case 'wos':
        return parseWos(text, unclosed('ER'));
    }
  })();
  if (papers.length === 0 && errors.length === 0) throw new ParseError(file, `no records found (read as ${format})`);
  return { format, papers, errors, warnings };
}
