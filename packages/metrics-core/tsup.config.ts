import { defineConfig } from 'tsup';
import { libraryConfig } from '../../tsup.shared.mjs';

// One entry per floor (metrics, http, cli) besides the whole package.
export default defineConfig({
  ...libraryConfig,
  entry: { index: 'src/index.ts', 'metrics/index': 'src/metrics/index.ts', 'http/index': 'src/http/index.ts', 'cli/index': 'src/cli/index.ts' },
});
