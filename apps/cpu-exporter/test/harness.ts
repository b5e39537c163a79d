// The built CPU exporter for the tests that run it as a process: @proj/fixtures' harness over its entry.
import { useExporterHarness } from '@proj/fixtures/harness';
import type { MaterializedTree, SpawnedServer } from '@proj/fixtures';
import { fileURLToPath } from 'node:url';

export const ENTRY = fileURLToPath(new URL('../dist/main.js', import.meta.url));

/** Registers the hooks of a test file; `start(tree, ...args)` runs the exporter over a fixture tree. */
export function useHarness() {
  const harness = useExporterHarness({ entry: ENTRY, buildHint: 'pnpm nx run cpu-exporter:build' });
  return {
    ...harness,
    /** The exporter on a free port over `tree`. */
    start: (tree: MaterializedTree, ...args: string[]): Promise<SpawnedServer> => harness.start(['--sysfs-root', tree.root, ...args]),
  };
}
