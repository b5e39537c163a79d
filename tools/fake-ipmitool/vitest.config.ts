import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    // main.test.ts spawns the fake many times: give a loaded machine room.
    testTimeout: 20_000,
  },
});
