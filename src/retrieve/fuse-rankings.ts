// Reciprocal rank fusion: combines rankings by position, not by score, so a cosine similarity and
// a BM25 score never have to be put on one scale.

/** The usual RRF constant (Cormack et al., 2009): damps the weight of the very top ranks. */
export const RRF_K = 60;

/**
 * @example fuseRankings([[3, 1], [1, 2]]) // Map { 1 => 1/61+1/62, 3 => 1/61, 2 => 1/62 }, highest first
 */
export function fuseRankings(rankings: number[][], k = RRF_K, weights?: number[]): Map<number, number> {
  const scores = new Map<number, number>();
  rankings.forEach((ranking, r) => {
    const w = weights?.[r] ?? 1;
    ranking.forEach((id, rank) => scores.set(id, (scores.get(id) ?? 0) + w / (k + rank + 1)));
  });
  return new Map([...scores.entries()].sort((a, b) => b[1] - a[1]));
}
