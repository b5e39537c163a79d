import { defineConfig } from 'tsup';

// One self-contained executable file: dist/nvidia-smi.js, run by the `nvidia-smi` launcher beside this file.
export default defineConfig({
  entry: { 'nvidia-smi': 'src/main.ts' },
  format: ['esm'],
  platform: 'node',
  target: 'node20',
  clean: true,
  noExternal: [/.*/],
  banner: { js: '#!/usr/bin/env node' },
});
