import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/globalSetup.ts'],
    // Real model, real stores, real grammars: some tests take seconds on 2 cores.
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // Two cores: one test file at a time per core keeps the ONNX runtime from starving.
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    pool: 'forks',
  },
});
