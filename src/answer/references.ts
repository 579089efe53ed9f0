// A cited answer as Markdown for tools that show only text (an MCP client, an OpenAI-compatible
// chat UI): the answer with its [n] markers, then the numbered references with each quote, and
// each paper's resource URI so a follow-up (or a reader) can find the paper again.
import type { Citation } from './cite.js';
import type { PaperRef } from './answer-service.js';

/**
 * paper://<id>, the id percent-encoded: ids hold ":" and "/" (DOIs), and "(", ")" too
 * ("10.1016/S0140-6736(20)30183-5"), which encodeURIComponent leaves and Markdown would end a link at.
 */
export function paperUri(paperId: string): string {
  return `paper://${encodeURIComponent(paperId).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}`;
}

/** The id in a paper:// URI, or null for anything else (including a malformed escape). */
export function paperIdOfUri(uri: string): string | null {
  const m = /^paper:\/\/([^\s<>]+)$/.exec(uri);
  if (!m) return null;
  try {
    return decodeURIComponent(m[1]);
  } catch {
    return null;
  }
}

/** The paper ids named by paper:// links in a text (a previous answer's reference list). */
export function paperIdsIn(text: string): string[] {
  const ids = [...text.matchAll(/paper:\/\/[^\s<>)\]]+/g)].map((m) => paperIdOfUri(m[0]));
  return [...new Set(ids.filter((id): id is string => id !== null))];
}

const REFERENCES = 'References';
const CLOSEST = 'Closest papers (not cited)';

export function referenceList(citations: Citation[]): string {
  if (!citations.length) return '';
  const lines = citations.map((c) => {
    const where = [c.venue, c.doi ? `https://doi.org/${c.doi}` : c.url].filter(Boolean).join('. ');
    const head = `${c.n}. ${c.authors.join(', ') || c.label} (${c.year ?? 'n.d.'}). ${c.title ?? '[untitled]'}.${where ? ` ${where}.` : ''} <${paperUri(c.paperId)}>`;
    // Every span the answer cites from this paper, not only the best one.
    const quotes = c.spans.length ? c.spans.map((s) => s.text) : c.quote ? [c.quote] : [];
    return [head, ...quotes.map((q) => `   > ${q}`)].join('\n');
  });
  return `${REFERENCES}\n\n${lines.join('\n')}`;
}

/** A refusal's closest papers, which it does not cite, so a reader can still look at them. */
export function closestList(closest: PaperRef[] | undefined): string {
  if (!closest?.length) return '';
  return `${CLOSEST}\n\n${closest.map((p) => `- ${p.label}${p.title ? `. ${p.title}` : ''} <${paperUri(p.paperId)}>`).join('\n')}`;
}

/** The answer, then its references (or, for a refusal, the closest papers). */
export function withReferences(text: string, citations: Citation[], closest?: PaperRef[]): string {
  const tail = citations.length ? referenceList(citations) : closestList(closest);
  return tail ? `${text}\n\n${tail}` : text;
}

/**
 * A reply written by withReferences, read back: the answer without its list, and the papers the
 * list cites (a refusal's closest papers are not cited, so they scope nothing).
 */
export function readReply(text: string): { answer: string; cited: string[] } {
  const [answer, ...rest] = text.split(new RegExp(`\\n\\n(${REFERENCES}|${CLOSEST.replace(/[()]/g, '\\$&')})\\n\\n`));
  const references = rest[0] === REFERENCES ? rest[1] : '';
  return { answer, cited: paperIdsIn(references ?? '') };
}
