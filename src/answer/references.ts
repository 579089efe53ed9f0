// A cited answer as Markdown for tools that show only text (an MCP client, an OpenAI-compatible
// chat UI): the answer with its [n] markers, then the numbered references with each quote, and
// each paper's resource URI so a follow-up (or a reader) can find the paper again.
import type { Citation } from './cite.js';
import type { PaperRef } from './answer-service.js';

/** paper://<id>, the id percent-encoded (ids hold ":" and "/", as DOIs do). */
export function paperUri(paperId: string): string {
  return `paper://${encodeURIComponent(paperId)}`;
}

export function paperIdOfUri(uri: string): string | null {
  const m = /^paper:\/\/(.+)$/.exec(uri);
  return m ? decodeURIComponent(m[1]) : null;
}

/** The paper ids named by paper:// links in a text (a previous answer's reference list). */
export function paperIdsIn(text: string): string[] {
  return [...new Set([...text.matchAll(/paper:\/\/([^\s)>\]]+)/g)].map((m) => decodeURIComponent(m[1])))];
}

export function referenceList(citations: Citation[]): string {
  if (!citations.length) return '';
  const lines = citations.map((c) => {
    const where = [c.venue, c.doi ? `https://doi.org/${c.doi}` : c.url].filter(Boolean).join('. ');
    const head = `${c.n}. ${c.authors.join(', ') || c.label} (${c.year ?? 'n.d.'}). ${c.title ?? '[untitled]'}.${where ? ` ${where}.` : ''} <${paperUri(c.paperId)}>`;
    // Every span the answer cites from this paper, not only the best one.
    const quotes = c.spans.length ? c.spans.map((s) => s.text) : c.quote ? [c.quote] : [];
    return [head, ...quotes.map((q) => `   > ${q}`)].join('\n');
  });
  return `References\n\n${lines.join('\n')}`;
}

/** A refusal's closest papers, which it does not cite, so a reader can still look at them. */
export function closestList(closest: PaperRef[] | undefined): string {
  if (!closest?.length) return '';
  return `Closest papers (not cited)\n\n${closest.map((p) => `- ${p.label}${p.title ? `. ${p.title}` : ''} <${paperUri(p.paperId)}>`).join('\n')}`;
}

/** The answer, then its references (or, for a refusal, the closest papers). */
export function withReferences(text: string, citations: Citation[], closest?: PaperRef[]): string {
  const tail = citations.length ? referenceList(citations) : closestList(closest);
  return tail ? `${text}\n\n${tail}` : text;
}
