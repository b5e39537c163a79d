// Nothing nvidia-smi starts outlives the built exporter, even a grandchild that calls setsid() and so leaves the
// process group (which a group kill reaches) and the session: every nvidia-smi here is a wrapper that first starts
// `setsid sleep 300` and records its pid, then runs the fake. After SIGTERM (the exporter's exit hook) and after
// SIGKILL of the exporter alone (@proj/subprocess's reaper), none of those sleepers may be left.
import { until } from '@proj/fixtures';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { privateFake, useHarness } from './harness.js';

const { defer, startPlain } = useHarness();

/** The session of process `pid`, or undefined when it is gone (a zombie counts as gone). */
function sessionOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // state ppid pgrp session
    return fields[0] === 'Z' ? undefined : Number(fields[3]);
  } catch {
    return undefined;
  }
}

/** An nvidia-smi that starts a setsid grandchild before it becomes the private fake; `sleepers()` lists their pids. */
function setsidNvidiaSmi(): { path: string; sleepers(): number[]; fakePids(): number[] } {
  const fake = privateFake();
  const dir = mkdtempSync(join(tmpdir(), 'setsid-nvsmi-'));
  const log = join(dir, 'sleepers');
  writeFileSync(log, '');
  const path = join(dir, 'nvidia-smi');
  writeFileSync(path, `#!/bin/sh\nsetsid sleep 300 </dev/null >/dev/null 2>&1 &\necho $! >> '${log}'\nexec '${fake.path}' "$@"\n`);
  chmodSync(path, 0o755);
  const sleepers = () => readFileSync(log, 'utf8').split('\n').filter(Boolean).map(Number);
  defer(() => {
    for (const pid of sleepers()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone, as it should be
      }
    }
    fake.remove();
    rmSync(dir, { recursive: true, force: true });
  });
  return { path, sleepers, fakePids: () => fake.pids() };
}

describe.runIf(process.platform === 'linux')('gpu_exporter and a setsid grandchild of nvidia-smi', () => {
  it.each(['SIGTERM', 'SIGKILL'] as const)('none is left after %s of the exporter', async (signal) => {
    const nvidiaSmi = setsidNvidiaSmi();
    const server = await startPlain('--nvidia-smi', nvidiaSmi.path, '--interval', '100ms');
    // The probes (ended) and the -lms stream (running, once it has started) each left a sleeper in a session of its
    // own. One whose nvidia-smi the exporter killed (a stall on a loaded machine) is gone already, and may be.
    await until(() => {
      const sessions = nvidiaSmi.sleepers().map((pid) => [pid, sessionOf(pid)] as const);
      const left = sessions.filter(([pid, session]) => session === pid).length;
      return left >= 3 && sessions.every(([pid, session]) => session === pid || session === undefined) && nvidiaSmi.fakePids().length > 0;
    }, 30_000);
    const sleepers = nvidiaSmi.sleepers();

    if (signal === 'SIGTERM') {
      expect((await server.stop('SIGTERM')).code).toBe(0);
    } else {
      // The exporter alone, not its group: what it started must go without any help from this test.
      const ended = new Promise((resolve) => server.child.once('exit', resolve));
      process.kill(server.child.pid!, 'SIGKILL');
      await ended;
    }
    await until(() => sleepers.every((pid) => sessionOf(pid) === undefined), 10_000);
    await until(() => nvidiaSmi.fakePids().length === 0, 10_000);
  }, 60_000);
});
