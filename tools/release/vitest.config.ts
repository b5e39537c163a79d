import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Building a binary injects into a ~99 MB node executable (a few seconds each); qemu runs are slower still.
    testTimeout: 120_000,
    hookTimeout: 240_000,
  },
});
