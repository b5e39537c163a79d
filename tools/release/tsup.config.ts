import { defineConfig } from 'tsup';

// The command-line tools only; the tests run the sources. esbuild and postject stay external (node_modules).
export default defineConfig({
  entry: ['src/cli.ts', 'src/measure.ts'],
  format: ['esm'],
  platform: 'node',
  target: 'node20',
  clean: true,
});
