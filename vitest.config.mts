// One vitest over the whole workspace: each package's own vitest.config.ts is a project (named after its
// package.json). `pnpm exec vitest run --project cpu-exporter` runs one; `pnpm test` still runs them through nx,
// which builds what each needs first.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: ['packages/*/vitest.config.ts', 'apps/*/vitest.config.ts', 'tools/*/vitest.config.ts'],
  },
});
