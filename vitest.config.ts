import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Real models, real indexes and a real browser: give them time on a 2-core machine.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Test files build their own indexes in temp folders; two at a time suits 2 cores.
    maxWorkers: 2,
    pool: 'forks',
  },
});
