import { defineConfig, type Options } from 'tsup';
import { libraryConfig } from '../../tsup.shared.mjs';

type Plugin = NonNullable<Options['plugins']>[number];

// The ESM entries share chunks, and esbuild keeps each entry's chunks in evaluation order with bare
// `import '../chunk-X.js'` lines. Every module here is side-effect free (sideEffects: false), so those lines carry
// nothing, and a bundler honouring sideEffects warns about each: blank them (same line count, the source map holds).
const dropBareChunkImports: Plugin = {
  name: 'drop-bare-chunk-imports',
  renderChunk(code) {
    return { code: code.replace(/^import ['"]\.{1,2}\/chunk-[\w-]+\.js['"];$/gm, '') };
  },
};

// One entry per floor (metrics, http, cli) besides the whole package.
export default defineConfig({
  ...libraryConfig,
  entry: { index: 'src/index.ts', 'metrics/index': 'src/metrics/index.ts', 'http/index': 'src/http/index.ts', 'cli/index': 'src/cli/index.ts' },
  plugins: [dropBareChunkImports],
});
