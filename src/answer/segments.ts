// An answer as data: a list of segments, each a piece of text and the exact spans it cites. The
// `[n]` string the API also returns is rendered from the segments, never the other way round, so
// the page and any client can place citations without reading markers back out of prose.

export interface SegmentCitation {
  n: number;
  paperId: string;
  /** Offsets into the cited field: the abstract, or the title of a paper indexed by title only. */
  start: number;
  end: number;
  field: 'abstract' | 'title';
  /** Whether the cited span supports the segment's claim (always, for a quoted sentence). */
  supported: boolean;
}

export interface AnswerSegment {
  text: string;
  citations: SegmentCitation[];
}

/** "…urgently needed [1]." — markers sit inside the sentence, before its closing stop. */
function withMarkers(text: string, ns: number[]): string {
  if (ns.length === 0) return text;
  const marker = `[${ns.join(', ')}]`;
  const m = text.match(/^([\s\S]*?)([.!?]+["”’)]*)?$/)!;
  return `${m[1]} ${marker}${m[2] ?? '.'}`;
}

/**
 * @example renderAnswer([{ text: 'Self-stigma was reduced.', citations: [{ n: 1, … }] }]) // 'Self-stigma was reduced [1].'
 */
export function renderAnswer(segments: AnswerSegment[]): string {
  let out = '';
  for (const s of segments) {
    const text = s.text.trim();
    // A summary's "## Theme" heading stands on its own line.
    if (/^## /.test(text)) out += `${out ? '\n\n' : ''}${text}\n`;
    else out += `${out && !out.endsWith('\n') ? ' ' : ''}${withMarkers(text, [...new Set(s.citations.map((c) => c.n))])}`;
  }
  return out.trim();
}
