// The two tsup builds this workspace makes, shared by the packages' and apps' tsup.config.ts (.mts: the root package is CommonJS).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Options } from 'tsup';

/** A publishable library: ESM and CommonJS with their types, from src/index.ts. */
export const libraryConfig: Options = {
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
};

/**
 * An exporter: one self-contained ESM file, dist/main.js, that runs with no node_modules beside it (containers,
 * binaries), its version from the package.json at `packageJsonUrl`.
 */
export function exporterAppConfig(packageJsonUrl: URL) {
  const { version } = JSON.parse(readFileSync(packageJsonUrl, 'utf8')) as { version: string };
  return defineConfig({
    entry: { main: 'src/main.ts' },
    format: ['esm'],
    platform: 'node',
    target: 'node20',
    clean: true,
    sourcemap: true,
    noExternal: [/.*/],
    // One file: a dynamic import (the HTTP adapter, loaded on the first request that needs it) stays inside it.
    splitting: false,
    define: { __EXPORTER_VERSION__: JSON.stringify(version) },
    // Only the prom-client classes the exporters use: its index also loads the push gateway, default metrics and
    // cluster modules, resident memory for nothing (docs/BENCHMARKS.md, Idle RSS).
    esbuildOptions(options) {
      options.alias = { ...options.alias, 'prom-client': fileURLToPath(new URL('./packages/metrics-core/src/prom-client-lite.cjs', import.meta.url)) };
    },
    // prom-client is CommonJS and requires node built-ins; give the ESM bundle a require to do it with.
    banner: { js: "#!/usr/bin/env node\nimport { createRequire as __createRequire } from 'node:module';\nconst require = __createRequire(import.meta.url);" },
  });
}
