// Builds every app as a single executable for every arch (as `make binaries` does, into a temporary directory),
// then runs each one alone: copied by itself into an empty directory, started with an empty environment, so
// nothing from this workspace (node, node_modules, PATH) can help it. arm64 ones run under qemu-aarch64-static.
//
// A missing qemu FAILS the arm64 tests rather than skipping them: tools/setup.sh installs it, so its absence
// means the setup is broken, and a silent skip would let CI go green while the edge-box binaries were never
// run once. To skip them on purpose (a machine where qemu cannot be installed), set SKIP_QEMU_SMOKE=1: the
// skipped tests then say why in their names.
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchServer, runCommand } from '@proj/fixtures';
import { launcherFor } from '../src/exec.js';
import { buildAppBinaries, type BuiltBinary } from '../src/sea.js';
import { smokeFor } from '../src/smoke.js';
import { ARCHES, binaryName, EXPORTER_APPS, NODE_CACHE_DIR, repoRoot, type Arch } from '../src/targets.js';

const outDir = mkdtempSync(join(tmpdir(), 'binaries-test-'));
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

describe.each(EXPORTER_APPS)('%s', (app) => {
  let built: BuiltBinary[] = [];
  beforeAll(async () => {
    built = await buildAppBinaries({ repoRoot, app, arches: ARCHES, outDir, cacheDir: NODE_CACHE_DIR });
  });

  describe.each(ARCHES)('linux-%s', (arch: Arch) => {
    const launcher = launcherFor(arch);
    const skip = !launcher.ok && process.env.SKIP_QEMU_SMOKE === '1';
    const test = skip ? it.skip : it;
    const suffix = skip && !launcher.ok ? ` (skipped on purpose, SKIP_QEMU_SMOKE=1: ${launcher.reason})` : '';
    const slow = arch !== process.arch; // emulated: start-up takes seconds, not milliseconds
    let dir = '';
    let command: string[] = [];
    let binary: BuiltBinary | undefined;

    beforeAll(() => {
      if (skip) return;
      if (!launcher.ok) throw new Error(`cannot run the ${arch} binary here: ${launcher.reason}. Run tools/setup.sh, or set SKIP_QEMU_SMOKE=1 to skip on purpose`);
      binary = built.find((b) => b.arch === arch);
      if (binary === undefined) throw new Error(`no ${arch} binary was built for ${app}`);
      dir = mkdtempSync(join(tmpdir(), `${binaryName(app)}-${arch}-alone-`));
      copyFileSync(binary.file, join(dir, binaryName(app)));
      command = [...launcher.prefix, join(dir, binaryName(app))];
    });
    afterAll(() => {
      if (dir !== '') rmSync(dir, { recursive: true, force: true });
    });

    test(`--version names the app, its version, the embedded node and ${arch}${suffix}`, async () => {
      const result = await runCommand([...command, '--version'], { cwd: dir, env: {}, cleanEnv: true });
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.stdout.trim()).toMatch(new RegExp(`^${binaryName(app)} ${binary!.version.replace(/\./g, '\\.')} `));
      expect(result.stdout).toContain(`node ${process.versions.node}`);
      expect(result.stdout).toContain(`linux/${arch}`);
    });

    test(`--help prints the usage${suffix}`, async () => {
      const result = await runCommand([...command, '--help'], { cwd: dir, env: {}, cleanEnv: true });
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(`usage: ${binaryName(app)}`);
      expect(result.stdout).toContain('--port');
    });

    test(`serves /metrics and /health, passes --healthcheck, stops on SIGTERM${suffix}`, async () => {
      const smoke = smokeFor(app).prepare();
      const server = await launchServer([...command, '--host', '127.0.0.1', '--port', '0', ...smoke.args], {
        cwd: dir,
        env: {},
        cleanEnv: true,
        timeoutMs: slow ? 60_000 : 10_000,
      });
      try {
        const metrics = await fetch(`${server.url}/metrics`);
        expect(metrics.status).toBe(200);
        const text = await metrics.text();
        for (const line of smokeFor(app).metrics) expect(text).toMatch(line);
        expect((await fetch(`${server.url}/health`)).status).toBe(200);
        // Exactly the image's HEALTHCHECK: `--healthcheck` alone, the port from the environment the image sets.
        const port = new URL(server.url).port;
        const probe = await runCommand([...command, '--healthcheck'], { cwd: dir, env: { [`${binaryName(app).toUpperCase()}_PORT`]: port }, cleanEnv: true });
        expect(probe.code).toBe(0);
        const wrongPort = await runCommand([...command, '--healthcheck', '--port', '1'], { cwd: dir, env: {}, cleanEnv: true });
        expect(wrongPort.code).not.toBe(0);
      } finally {
        const stopped = await server.stop('SIGTERM');
        smoke.cleanup();
        expect(stopped.code).toBe(0);
        // A single executable whose script required a non-built-in would print Node's SEA warning here.
        expect(server.stderr()).not.toMatch(/Warning|single-executable/i);
      }
    });
  });
});
