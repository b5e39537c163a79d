import { defineConfig } from 'tsup';

export default defineConfig({
  // The CLI, and the two programs it runs as processes of their own so their CPU is measured from outside.
  entry: ['src/cli.ts', 'src/baseline-exporter.ts', 'src/floor-server.ts', 'src/spin-probe.ts', 'src/render-probe.ts', 'src/attribution-probe.ts', 'src/read-probe.ts', 'src/memory-probe.ts', 'src/lag-probe.ts', 'src/profile-probe.ts', 'src/gzip-probe.ts', 'src/tick-probe.ts'],
  format: ['esm'],
  clean: true,
  sourcemap: true,
  target: 'node20',
});
