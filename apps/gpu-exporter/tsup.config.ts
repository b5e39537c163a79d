import { readFileSync } from 'node:fs';
import { defineConfig } from 'tsup';

const { version } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { version: string };

// One self-contained file: `node dist/main.js` runs with no node_modules beside it (containers, binaries).
export default defineConfig({
  entry: { main: 'src/main.ts' },
  format: ['esm'],
  platform: 'node',
  target: 'node20',
  clean: true,
  sourcemap: true,
  noExternal: [/.*/],
  define: { __EXPORTER_VERSION__: JSON.stringify(version) },
  // prom-client is CommonJS and requires node built-ins; give the ESM bundle a require to do it with.
  banner: { js: "#!/usr/bin/env node\nimport { createRequire as __createRequire } from 'node:module';\nconst require = __createRequire(import.meta.url);" },
});
