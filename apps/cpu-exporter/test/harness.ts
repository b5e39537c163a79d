// What the tests that run the built exporter share: its entry, a tree or a process that goes away after each test.
import { materializePowercapTree, spawnServer, type MaterializedTree, type SpawnedServer } from '@proj/fixtures';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll } from 'vitest';

export const ENTRY = fileURLToPath(new URL('../dist/main.js', import.meta.url));

/** Registers the hooks of a test file; `defer` undoes things after each test, last first. */
export function useHarness() {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    while (cleanups.length > 0) await cleanups.pop()!();
  });
  beforeAll(() => {
    if (!existsSync(ENTRY)) throw new Error(`${ENTRY} is missing: build first (pnpm nx run cpu-exporter:build)`);
  });
  const defer = (cleanup: () => unknown): void => void cleanups.push(cleanup);
  return {
    defer,
    /** A fixture tree in a temporary directory. */
    tree(name: string): MaterializedTree {
      const t = materializePowercapTree(name);
      defer(() => t.remove());
      return t;
    },
    /** The exporter on a free port over `tree`. */
    async start(tree: MaterializedTree, ...args: string[]): Promise<SpawnedServer> {
      const server = await spawnServer(ENTRY, ['--port', '0', '--host', '127.0.0.1', '--sysfs-root', tree.root, ...args]);
      defer(() => server.stop('SIGKILL'));
      return server;
    },
  };
}
