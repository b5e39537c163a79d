import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // The integration suite starts real servers: one file at a time keeps ports, CPU and logs apart.
    fileParallelism: false,
    // Tests here talk to real processes; `pnpm test` runs them beside every other package's suite on 2 cores.
    testTimeout: 30_000,
  },
});
