// What the tests that run the built exporter share: its entry, the fake nvidia-smi behind a path of its own (so
// that the processes of one test can be counted and ended), and a process that goes away after each test.
import type { SpawnedServer } from '@proj/fixtures';
import { useExporterHarness } from '@proj/fixtures/harness';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ENTRY = fileURLToPath(new URL('../dist/main.js', import.meta.url));

export const FAKE_DIR = fileURLToPath(new URL('../../../tools/fake-nvidia-smi/', import.meta.url));

/** A private copy of the fake's launcher: `<dir>/nvidia-smi` runs `<dir>/dist/nvidia-smi.js` (a link to the built fake). */
export interface PrivateFake {
  /** Pass this as --nvidia-smi. */
  readonly path: string;
  /** The fake nvidia-smi processes running now: all, or only the `pmon` ones, or only the others (`query`). */
  pids(kind?: 'pmon' | 'query'): number[];
  /** Kills whatever is left (a test that failed half-way may have orphaned a hung one) and removes the copy. */
  remove(): void;
}

/** Makes a private copy of the fake nvidia-smi. */
export function privateFake(): PrivateFake {
  const dir = mkdtempSync(join(tmpdir(), 'fake-nvsmi-'));
  copyFileSync(join(FAKE_DIR, 'nvidia-smi'), join(dir, 'nvidia-smi'));
  symlinkSync(join(FAKE_DIR, 'dist'), join(dir, 'dist'));
  const script = join(dir, 'dist', 'nvidia-smi.js');
  const pids = (kind?: 'pmon' | 'query') =>
    execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' })
      .split('\n')
      .filter((line) => line.includes(script))
      .filter((line) => kind === undefined || / pmon( |$)/.test(line) === (kind === 'pmon'))
      .map((line) => Number(line.trim().split(' ')[0]));
  return {
    path: join(dir, 'nvidia-smi'),
    pids,
    remove() {
      for (const pid of pids()) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Registers the hooks of a test file (@proj/fixtures' harness over the built exporter and fake). */
export function useHarness() {
  const harness = useExporterHarness({
    entry: ENTRY,
    requires: [join(FAKE_DIR, 'dist', 'nvidia-smi.js')],
    buildHint: 'pnpm nx run-many -t build -p gpu-exporter @proj/fake-nvidia-smi',
  });
  return {
    defer: harness.defer,
    /** The exporter on a free port with `args` as they are (no private fake). */
    startPlain: (...args: string[]): Promise<SpawnedServer> => harness.start(args),
    /** The exporter on a free port with a private fake nvidia-smi configured by `env` (FAKE_NVIDIA_SMI_*). */
    async start(env: Record<string, string>, ...args: string[]): Promise<SpawnedServer & { fake: PrivateFake }> {
      const fake = privateFake();
      harness.defer(() => fake.remove());
      const server = await harness.start(['--nvidia-smi', fake.path, ...args], { env });
      return Object.assign(server, { fake });
    },
  };
}
