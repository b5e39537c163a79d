import { defineConfig } from 'tsup';

// Two self-contained executable files, run by the `ipmitool` and `ipmi-dcmi` launchers beside this file.
export default defineConfig({
  entry: { ipmitool: 'src/ipmitool.ts', 'ipmi-dcmi': 'src/ipmi-dcmi.ts' },
  format: ['esm'],
  platform: 'node',
  target: 'node20',
  clean: true,
  noExternal: [/.*/],
  banner: { js: '#!/usr/bin/env node' },
});
