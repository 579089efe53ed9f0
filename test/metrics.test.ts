import { describe, expect, it } from 'vitest';
import { mean, ndcgAtK, overlapRecall, percentile, recallAtK, reciprocalRank } from '../bench/metrics.js';
import { fuseRankings } from '../src/retrieve/fuse-rankings.js';
import { topK } from '../src/store/top-k.js';
import { LexicalIndex } from '../src/store/lexical-index.js';
import { poolAndNormalise } from '../src/embeddings/transformers-embeddings.js';

describe('ranking metrics (hand-checked)', () => {
  const relevant = new Set(['a', 'b']);
  it('recall@k', () => {
    expect(recallAtK(['x', 'a', 'y', 'b'], relevant, 2)).toBe(0.5);
    expect(recallAtK(['x', 'a', 'y', 'b'], relevant, 4)).toBe(1);
    expect(recallAtK(['x'], new Set(), 1)).toBe(0);
  });
  it('reciprocal rank', () => {
    expect(reciprocalRank(['x', 'y', 'b'], relevant)).toBeCloseTo(1 / 3);
    expect(reciprocalRank(['a'], relevant)).toBe(1);
    expect(reciprocalRank(['x'], relevant)).toBe(0);
  });
  it('nDCG@k with graded relevance', () => {
    const rel = new Map([['a', 2], ['b', 1]]);
    expect(ndcgAtK(['a', 'b'], rel, 10)).toBe(1);
    // DCG = 1/log2(2) + 2/log2(3); IDCG = 2/log2(2) + 1/log2(3)
    expect(ndcgAtK(['b', 'a'], rel, 10)).toBeCloseTo((1 + 2 / Math.log2(3)) / (2 + 1 / Math.log2(3)), 10);
    expect(ndcgAtK(['x', 'a'], rel, 1)).toBe(0);
  });
  it('percentiles, mean and overlap', () => {
    expect(percentile([5, 1, 4, 2, 3], 50)).toBe(3);
    expect(percentile([1, 2, 3, 4], 100)).toBe(4);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 95)).toBe(10);
    expect(mean([1, 2, 3])).toBe(2);
    expect(overlapRecall([1, 2, 3], [3, 4, 1, 9])).toBe(0.5);
  });
});

describe('fusion and top-k', () => {
  it('reciprocal rank fusion rewards agreement', () => {
    const fused = fuseRankings([[1, 2, 3], [3, 1]]);
    expect([...fused.keys()]).toEqual([1, 3, 2]);
    expect(fused.get(1)).toBeCloseTo(1 / 61 + 1 / 62);
    const weighted = fuseRankings([[1], [2]], 60, [2, 1]);
    expect([...weighted.keys()]).toEqual([1, 2]);
  });
  it('top-k equals a full sort', () => {
    const scores = Array.from({ length: 500 }, (_, i) => Math.sin(i * 12.9898) * 43758.5453 % 1);
    const expected = scores.map((s, i) => [i, s] as [number, number]).sort((a, b) => b[1] - a[1]).slice(0, 17);
    expect(topK(scores.keys(), (i) => scores[i], 17)).toEqual(expected);
    expect(topK([], () => 0, 3)).toEqual([]);
  });

  it('top-k cuts ties at the lowest ids, in any input order (as ORDER BY score DESC, id does)', () => {
    const ids = [9, 4, 7, 1, 8, 3, 6, 2, 5, 0];
    expect(topK(ids, (i) => (i === 6 ? 2 : 1), 4)).toEqual([[6, 2], [0, 1], [1, 1], [2, 1]]);
    expect(topK([...ids].reverse(), (i) => (i === 6 ? 2 : 1), 4)).toEqual([[6, 2], [0, 1], [1, 1], [2, 1]]);
  });
});

describe('BM25', () => {

  it('BM25 ranks by term rarity and frequency, and honours the allowed mask', () => {
    const index = LexicalIndex.fromTexts(['peer support groups', 'stigma stigma and peer support', 'hospital admissions']);
    expect(index.documentFrequency('peer')).toBe(2);
    expect(index.idf('stigma')).toBeGreaterThan(index.idf('peer'));
    expect(index.query('stigma peer', 3).map((h) => h.row)).toEqual([1, 0]);
    expect(index.query('stigma peer', 3, Uint8Array.from([1, 0, 1])).map((h) => h.row)).toEqual([0]);
    expect(index.query('unrelated words', 3)).toEqual([]);
    // Hand-checked: one term, one matching doc of average length → idf * (tf*(k1+1))/(tf+k1)
    const single = LexicalIndex.fromTexts(['alpha', 'beta']);
    const idf = Math.log(1 + (2 - 1 + 0.5) / (1 + 0.5));
    expect(single.query('alpha', 1)[0].score).toBeCloseTo(idf * ((1 * 2.2) / (1 + 1.2)));
  });

  it('mean pooling ignores padding and normalises', () => {
    const hidden = Float32Array.from([3, 4, 100, 100, 0, 2, 0, 0]); // batch 2, seq 2, width 2
    const [a, b] = poolAndNormalise(hidden, [2, 2, 2], BigInt64Array.from([1n, 0n, 1n, 1n]), 'mean');
    expect(Array.from(a)).toEqual([0.6, 0.8].map((x) => expect.closeTo(x, 6)));
    expect(Array.from(b)).toEqual([0, 1]);
    const [cls] = poolAndNormalise(hidden, [2, 2, 2], BigInt64Array.from([1n, 1n, 1n, 1n]), 'cls');
    expect(Array.from(cls)).toEqual([0.6, 0.8].map((x) => expect.closeTo(x, 6)));
  });
});
