// Top-k selection without sorting everything: a bounded min-heap over (id, score) pairs.

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
  const siftDown = (i: number) => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < size && heapScores[l] < heapScores[m]) m = l;
      if (r < size && heapScores[r] < heapScores[m]) m = r;
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
        if (heapScores[parent] <= heapScores[i]) break;
        swap(i, parent);
        i = parent;
      }
    } else if (s > heapScores[0]) {
      heapIds[0] = id;
      heapScores[0] = s;
      siftDown(0);
    }
  }
  const out: Array<[number, number]> = [];
  for (let i = 0; i < size; i++) out.push([heapIds[i], heapScores[i]]);
  return out.sort((a, b) => b[1] - a[1] || a[0] - b[0]);
}
