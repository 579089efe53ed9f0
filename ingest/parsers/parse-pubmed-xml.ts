// PubMed efetch XML (PubmedArticleSet). Structured abstracts come as AbstractText elements with a
// Label; we join them into one text and keep each label's offsets as a section. The DOCTYPE is
// dropped before parsing: nothing is fetched and no entity declared in a DTD is ever expanded.
import { XMLParser } from 'fast-xml-parser';
import type { Author, RawPaper, Section } from '../../src/types.js';
import { ParseError } from '../../src/errors.js';
import { yearOf } from './tagged-records.js';

type Node = Record<string, unknown>;

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  // Inline markup (<i>, <sup>) inside these must stay text, not become child elements.
  stopNodes: ['*.AbstractText', '*.ArticleTitle', '*.BookTitle', '*.VernacularTitle'],
  processEntities: true,
  htmlEntities: false,
  parseTagValue: false,
  isArray: (name) => ['PubmedArticle', 'PubmedBookArticle', 'Author', 'AbstractText', 'ArticleId', 'ELocationID'].includes(name),
});

export function looksLikePubmedXml(text: string): boolean {
  return /<(PubmedArticleSet|PubmedArticle|PubmedBookArticle)[\s>]/.test(text.slice(0, 5000));
}

function decodeEntities(s: string): string {
  return s
    .replace(/&#x([0-9a-f]+);/gi, (_, h) => String.fromCodePoint(parseInt(h, 16)))
    .replace(/&#(\d+);/g, (_, d) => String.fromCodePoint(Number(d)))
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}

/** Text of an element, whether the parser gave a string, a {#text} object or a stop-node's raw XML. */
function textOf(node: unknown): string | null {
  if (node === undefined || node === null) return null;
  if (typeof node === 'string' || typeof node === 'number') {
    const s = decodeEntities(String(node).replace(/<[^>]+>/g, '')).replace(/\s+/g, ' ').trim();
    return s || null;
  }
  if (typeof node === 'object') return textOf((node as Node)['#text']);
  return null;
}

function path(node: unknown, ...keys: string[]): unknown {
  let cur = node;
  for (const k of keys) cur = cur && typeof cur === 'object' ? (cur as Node)[k] : undefined;
  return cur;
}

function abstractOf(parts: unknown[] | undefined): { abstract: string | null; sections: Section[] } {
  if (!parts?.length) return { abstract: null, sections: [] };
  let abstract = '';
  const sections: Section[] = [];
  for (const part of parts) {
    const body = textOf(part);
    if (!body) continue;
    const rawLabel = typeof part === 'object' ? ((part as Node)['@_Label'] as string | undefined) : undefined;
    if (abstract) abstract += ' ';
    if (rawLabel && rawLabel.toUpperCase() !== 'UNLABELLED') {
      const label = rawLabel[0].toUpperCase() + rawLabel.slice(1).toLowerCase();
      abstract += `${label}: `;
      sections.push({ label, start: abstract.length, end: abstract.length + body.length });
    }
    abstract += body;
  }
  return { abstract: abstract || null, sections };
}

function authorsOf(list: unknown): Author[] {
  const authors = (path(list, 'Author') as Node[] | undefined) ?? [];
  return authors
    .map((a): Author | null => {
      const family = textOf(a.LastName) ?? textOf(a.CollectiveName);
      if (!family) return null;
      const given = textOf(a.ForeName) ?? textOf(a.Initials);
      return given ? { family, given } : { family };
    })
    .filter((a): a is Author => a !== null);
}

function articleIds(node: unknown, type: string): string | null {
  const ids = (path(node, 'ArticleIdList', 'ArticleId') as unknown[] | undefined) ?? [];
  const hit = ids.find((id) => typeof id === 'object' && (id as Node)['@_IdType'] === type);
  return textOf(hit);
}

export function parsePubmedXml(content: string, file: string): RawPaper[] {
  const withoutDoctype = content.replace(/<!DOCTYPE[^[>]*(\[[\s\S]*?\])?\s*>/i, '');
  let doc: Node;
  try {
    doc = parser.parse(withoutDoctype, true) as Node;
  } catch (error) {
    const e = error as Error & { line?: number };
    const line = e.line ?? Number(e.message.match(/[Ll]ine:? (\d+)/)?.[1]);
    throw new ParseError(file, `invalid XML (${e.message.split('\n')[0]})`, Number.isFinite(line) ? line : undefined);
  }
  const set = (doc.PubmedArticleSet ?? doc) as Node;
  const articles = (set.PubmedArticle as Node[] | undefined) ?? [];
  const books = (set.PubmedBookArticle as Node[] | undefined) ?? [];
  if (!articles.length && !books.length) throw new ParseError(file, 'no PubmedArticle elements found');

  const fromArticles = articles.map((pa, i): RawPaper => {
    const citation = pa.MedlineCitation as Node;
    const article = citation?.Article as Node;
    const journal = article?.Journal as Node;
    const pubDate = path(journal, 'JournalIssue', 'PubDate');
    const eloc = ((article?.ELocationID as unknown[] | undefined) ?? []).find(
      (e) => typeof e === 'object' && (e as Node)['@_EIdType'] === 'doi',
    );
    const { abstract, sections } = abstractOf(path(article, 'Abstract', 'AbstractText') as unknown[] | undefined);
    return {
      line: i + 1,
      pmid: textOf(citation?.PMID),
      title: textOf(article?.ArticleTitle) ?? textOf(article?.VernacularTitle),
      abstract,
      sections,
      authors: authorsOf(article?.AuthorList),
      year: yearOf(textOf(path(pubDate, 'Year')) ?? textOf(path(pubDate, 'MedlineDate'))),
      venue: textOf(journal?.Title) ?? textOf(journal?.ISOAbbreviation),
      volume: textOf(path(journal, 'JournalIssue', 'Volume')),
      issue: textOf(path(journal, 'JournalIssue', 'Issue')),
      pages: textOf(path(article, 'Pagination', 'MedlinePgn')),
      doi: textOf(eloc) ?? articleIds(pa.PubmedData, 'doi'),
    };
  });
  const fromBooks = books.map((pb, i): RawPaper => {
    const bookDoc = pb.BookDocument as Node;
    const { abstract, sections } = abstractOf(path(bookDoc, 'Abstract', 'AbstractText') as unknown[] | undefined);
    return {
      line: articles.length + i + 1,
      pmid: textOf(bookDoc?.PMID),
      title: textOf(bookDoc?.ArticleTitle) ?? textOf(path(bookDoc, 'Book', 'BookTitle')),
      abstract,
      sections,
      authors: authorsOf(bookDoc?.AuthorList),
      year: yearOf(textOf(path(bookDoc, 'Book', 'PubDate', 'Year'))),
      venue: textOf(path(bookDoc, 'Book', 'BookTitle')),
    };
  });
  return [...fromArticles, ...fromBooks];
}
