// Top-k selection without sorting everything: a bounded min-heap over (id, score) pairs. Ties
// keep the lower id (as ORDER BY score DESC, id does), so every store cuts a ranking the same way.

/**
 * The k highest-scoring ids, best first.
 * @example topK([3, 1, 2], (id) => [0.1, 0.9, 0.5][id - 1] ?? 0, 2) // [1, 2]
 */
export function topK(ids: Iterable<number>, score: (id: number) => number, k: number): Array<[number, number]> {
  if (k <= 0) return [];
  const heapIds = new Int32Array(k);
  const heapScores = new Float64Array(k);
  let size = 0;
  const swap = (a: number, b: number) => {
    const ti = heapIds[a];
    heapIds[a] = heapIds[b];
    heapIds[b] = ti;
    const ts = heapScores[a];
    heapScores[a] = heapScores[b];
    heapScores[b] = ts;
  };
  // The root is the worst kept: the lowest score, and of equal scores the highest id.
  const worse = (a: number, b: number) => heapScores[a] < heapScores[b] || (heapScores[a] === heapScores[b] && heapIds[a] > heapIds[b]);
  const siftDown = (i: number) => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < size && worse(l, m)) m = l;
      if (r < size && worse(r, m)) m = r;
      if (m === i) return;
      swap(i, m);
      i = m;
    }
  };
  for (const id of ids) {
    const s = score(id);
    if (size < k) {
      heapIds[size] = id;
      heapScores[size] = s;
      let i = size++;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (!worse(i, parent)) break;
        swap(i, parent);
        i = parent;
      }
    } else if (s > heapScores[0] || (s === heapScores[0] && id < heapIds[0])) {
      heapIds[0] = id;
      heapScores[0] = s;
      siftDown(0);
    }
  }
  const out: Array<[number, number]> = [];
  for (let i = 0; i < size; i++) out.push([heapIds[i], heapScores[i]]);
  return out.sort((a, b) => b[1] - a[1] || a[0] - b[0]);
}
