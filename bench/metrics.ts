// Retrieval metrics and latency summaries, shared by `npm run bench` and `npm run eval`.

/** Share of the relevant ids found in the first k of a ranking. @example recallAtK(['a','x'], new Set(['a','b']), 2) // 0.5 */
export function recallAtK(ranking: string[], relevant: Set<string>, k: number): number {
  if (relevant.size === 0) return 0;
  let hit = 0;
  for (const id of ranking.slice(0, k)) if (relevant.has(id)) hit++;
  return hit / relevant.size;
}

/** 1 / rank of the first relevant id (0 when none). @example reciprocalRank(['x','a'], new Set(['a'])) // 0.5 */
export function reciprocalRank(ranking: string[], relevant: Set<string>): number {
  const i = ranking.findIndex((id) => relevant.has(id));
  return i < 0 ? 0 : 1 / (i + 1);
}

/** nDCG@k with graded relevance (BEIR's definition: gain = rel, discount = log2(rank + 1)). */
export function ndcgAtK(ranking: string[], relevance: Map<string, number>, k: number): number {
  let dcg = 0;
  ranking.slice(0, k).forEach((id, i) => {
    dcg += (relevance.get(id) ?? 0) / Math.log2(i + 2);
  });
  const ideal = [...relevance.values()].sort((a, b) => b - a).slice(0, k);
  const idcg = ideal.reduce((s, rel, i) => s + rel / Math.log2(i + 2), 0);
  return idcg === 0 ? 0 : dcg / idcg;
}

/** Overlap of two top-k id lists, as recall of `truth`. */
export function overlapRecall(found: ArrayLike<number>, truth: ArrayLike<number>): number {
  const t = new Set(Array.from(truth));
  let hit = 0;
  for (const id of Array.from(found)) if (t.has(id)) hit++;
  return t.size === 0 ? 0 : hit / t.size;
}

/** The p-th percentile (0..100) of a sample, nearest-rank. @example percentile([1,2,3,4], 50) // 2 */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

export function mean(values: number[]): number {
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : NaN;
}

/** Plain-text table for terminals and README blocks. */
export function table(headers: string[], rows: Array<Array<string | number>>): string {
  const cells = [headers, ...rows.map((r) => r.map((c) => (typeof c === 'number' ? formatNumber(c) : c)))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => String(r[i] ?? '').length)));
  const line = (r: Array<string | number>) => `| ${r.map((c, i) => String(c ?? '').padEnd(widths[i])).join(' | ')} |`;
  return [line(cells[0]), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...cells.slice(1).map(line)].join('\n');
}

function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Number.isInteger(n)) return String(n);
  return Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 1 ? n.toFixed(2) : n.toFixed(3);
}

/** Lower-case word tokens, as ROUGE compares them. */
function rougeTokens(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

/**
 * ROUGE-L F1: the longest common subsequence of words, as precision against the candidate and
 * recall against the reference. @example rougeL('the cat sat', 'the cat sat down') // 0.857…
 */
export function rougeL(candidate: string, reference: string): number {
  const a = rougeTokens(candidate);
  const b = rougeTokens(reference);
  if (a.length === 0 || b.length === 0) return 0;
  let prev = new Uint16Array(b.length + 1);
  let cur = new Uint16Array(b.length + 1);
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) cur[j] = a[i - 1] === b[j - 1] ? prev[j - 1] + 1 : Math.max(prev[j], cur[j - 1]);
    [prev, cur] = [cur, prev];
  }
  const lcs = prev[b.length];
  if (lcs === 0) return 0;
  const p = lcs / a.length;
  const r = lcs / b.length;
  return (2 * p * r) / (p + r);
}
