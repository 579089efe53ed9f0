// Weighted L2-regularised logistic regression, fitted by Newton's method (iteratively reweighted
// least squares). Small feature counts (about ten) and tens of thousands of examples: a few
// iterations of a 10×10 solve, exact, deterministic, and no dependency for it.

export interface Example {
  x: number[];
  y: 0 | 1;
  /** How much the example counts (default 1). */
  weight?: number;
}

export interface FittedLogistic {
  weights: number[];
  bias: number;
  iterations: number;
  /** Weighted mean log-loss on the training examples. */
  logLoss: number;
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/** Solves A·x = b for a small dense symmetric positive-definite A (Gaussian elimination with pivoting). */
function solve(a: number[][], b: number[]): number[] {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r][c]) > Math.abs(m[p][c])) p = r;
    [m[c], m[p]] = [m[p], m[c]];
    const pivot = m[c][c] || 1e-12;
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r][c] / pivot;
      for (let k = c; k <= n; k++) m[r][k] -= f * m[c][k];
    }
  }
  return m.map((row, i) => row[n] / (row[i] || 1e-12));
}

/**
 * @example fitLogistic([{ x: [0], y: 0 }, { x: [1], y: 1 }], { l2: 0.1 }).weights[0] > 0 // true
 */
export function fitLogistic(examples: Example[], { l2 = 1e-2, maxIterations = 50, tolerance = 1e-9 } = {}): FittedLogistic {
  const d = examples[0]?.x.length ?? 0;
  // Parameters: d weights then the bias (not regularised).
  let theta = new Array<number>(d + 1).fill(0);
  const totalWeight = examples.reduce((s, e) => s + (e.weight ?? 1), 0);
  let iterations = 0;
  for (; iterations < maxIterations; iterations++) {
    const grad = new Array<number>(d + 1).fill(0);
    const hess = Array.from({ length: d + 1 }, () => new Array<number>(d + 1).fill(0));
    for (const e of examples) {
      const w = (e.weight ?? 1) / totalWeight;
      const xi = [...e.x, 1];
      let z = 0;
      for (let j = 0; j <= d; j++) z += theta[j] * xi[j];
      const p = sigmoid(z);
      const r = w * (p - e.y);
      const s = w * p * (1 - p);
      for (let j = 0; j <= d; j++) {
        grad[j] += r * xi[j];
        for (let k = 0; k <= d; k++) hess[j][k] += s * xi[j] * xi[k];
      }
    }
    for (let j = 0; j < d; j++) {
      grad[j] += l2 * theta[j];
      hess[j][j] += l2;
    }
    hess[d][d] += 1e-9;
    const step = solve(hess, grad);
    theta = theta.map((t, j) => t - step[j]);
    if (step.reduce((s, v) => s + v * v, 0) < tolerance) break;
  }
  let loss = 0;
  for (const e of examples) {
    const z = e.x.reduce((s, v, j) => s + v * theta[j], theta[d]);
    const p = Math.min(1 - 1e-12, Math.max(1e-12, sigmoid(z)));
    loss -= ((e.weight ?? 1) / totalWeight) * (e.y ? Math.log(p) : Math.log(1 - p));
  }
  return { weights: theta.slice(0, d), bias: theta[d], iterations: iterations + 1, logLoss: loss };
}
