import { loadPmonCapture, until } from '@proj/fixtures';
import { parsePmon } from '@proj/nvsmi-parser';
import fc from 'fast-check';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { FAKE_DIR, privateFake, type PrivateFake } from '../test/harness.js';
import { createPmonSource, groupGpuIndexes, pmonDelaySeconds, type PmonSource } from './pmon-source.js';

describe('pmonDelaySeconds', () => {
  it('rounds the interval up to whole seconds within pmon’s 1-10', () => {
    expect([100, 999, 1000, 1001, 2500, 10_000, 30_000].map(pmonDelaySeconds)).toEqual([1, 1, 1, 2, 3, 10, 10]);
  });
});

describe('groupGpuIndexes', () => {
  it('puts at most 4 GPUs in a group, in index order, each GPU once', () => {
    expect(groupGpuIndexes([5, 0, 1, 2, 3, 4, 1])).toEqual([
      [0, 1, 2, 3],
      [4, 5],
    ]);
    fc.assert(
      fc.property(fc.array(fc.nat(63)), (indexes) => {
        const groups = groupGpuIndexes(indexes);
        expect(groups.every((g) => g.length >= 1 && g.length <= 4)).toBe(true);
        expect(groups.flat()).toEqual([...new Set(indexes)].sort((a, b) => a - b));
        expect(groups.length).toBe(Math.ceil(new Set(indexes).size / 4));
      }),
    );
  });
});

// The source against the built fake nvidia-smi (its pmon replays tools/fixtures/nvidia-smi-pmon captures).
describe('createPmonSource on the fake nvidia-smi', () => {
  const UUID = 'GPU-00000000-0000-0000-0000-000000000000';
  const saved = { ...process.env };
  let fake: PrivateFake | undefined;
  let source: PmonSource | undefined;

  beforeAll(() => {
    if (!existsSync(join(FAKE_DIR, 'dist', 'nvidia-smi.js'))) throw new Error('build the fake first: pnpm nx run @proj/fake-nvidia-smi:build');
  });
  afterEach(async () => {
    await source?.stop();
    // stop() resolves once the children have exited: none may be left.
    expect(fake?.pids() ?? []).toEqual([]);
    fake?.remove();
    source = undefined;
    fake = undefined;
    process.env = { ...saved };
  });

  /** A source on a private fake, its children started with `env` (FAKE_NVIDIA_SMI_*). */
  function start(env: Record<string, string>): PmonSource {
    Object.assign(process.env, { FAKE_NVIDIA_SMI_PMON_DELAY_MS: '200' }, env);
    fake = privateFake();
    source = createPmonSource({ command: fake.path, intervalMs: 1000, reprobeEveryMs: 60_000 });
    return source;
  }

  it('probes, then hands on each interval of the 5 ffmpeg processes', async () => {
    const pmon = start({});
    pmon.watch([{ index: 0, uuid: UUID }]);
    const batches: ReturnType<PmonSource['takeBatches']> = [];
    await until(() => batches.push(...pmon.takeBatches()) >= 3, 10_000);
    const capture = parsePmon(loadPmonCapture('datarhei-core__pmon-s-um-ffmpeg-multisample').text).samples;
    for (const batch of batches) {
      expect(batch.gpuIndexes).toEqual([0]);
      expect(batch.rows.map((row) => row.pid)).toEqual(capture[0]!.rows.map((row) => row.pid));
    }
    expect(pmon.status()).toMatchObject({ state: 'running', delaySeconds: 1, groups: [{ gpuIndexes: [0], state: 'running' }] });
    expect(fake!.pids('pmon')).toHaveLength(1);
  });

  it('leaves pmon off where the driver says it is not supported, with no child running', async () => {
    const pmon = start({ FAKE_NVIDIA_SMI_PMON_FAIL: 'not-supported' });
    pmon.watch([{ index: 0, uuid: UUID }]);
    await until(() => pmon.status().state === 'not_supported', 10_000);
    expect(pmon.status().groups[0]!.detail).toContain('Not supported on the device(s)');
    expect(fake!.pids()).toEqual([]);
  });

  it('runs one child per group of 4 GPUs (-i), each failing on its own where pmon cannot see its GPUs', async () => {
    const pmon = start({ FAKE_NVIDIA_SMI_PMON: 'ray-3gpu' });
    pmon.watch([0, 1, 2, 3, 4].map((index) => ({ index, uuid: `${UUID.slice(0, -1)}${index}` })));
    // The Ray capture has GPUs 0-2: `-i 0,1,2,3` and `-i 4` both name a GPU it lacks.
    await until(() => pmon.status().groups.every((g) => g.state === 'failing'), 10_000);
    const { groups, state } = pmon.status();
    expect(state).toBe('failing');
    expect(groups.map((g) => g.gpuIndexes)).toEqual([[0, 1, 2, 3], [4]]);
    for (const group of groups) expect(group.detail).toContain('No devices were found');
  });

  it('probes again when the GPU set changes, replacing the child (not counted as a restart)', async () => {
    const pmon = start({ FAKE_NVIDIA_SMI_PMON: 'ray-3gpu' });
    pmon.watch([{ index: 0, uuid: UUID }]);
    await until(() => pmon.takeBatches().length > 0, 10_000);
    const first = fake!.pids('pmon');
    pmon.watch([
      { index: 0, uuid: UUID },
      { index: 1, uuid: `${UUID.slice(0, -1)}1` },
    ]);
    await until(() => pmon.takeBatches().some((batch) => batch.gpuIndexes.join() === '0,1'), 10_000);
    expect(fake!.pids('pmon')).toHaveLength(1);
    expect(fake!.pids('pmon')).not.toEqual(first);
    expect(pmon.status().counts.restarts).toBe(0);
    // The same set again changes nothing.
    const now = fake!.pids('pmon');
    pmon.watch([
      { index: 1, uuid: `${UUID.slice(0, -1)}1` },
      { index: 0, uuid: UUID },
    ]);
    expect(pmon.status().groups).toEqual([{ gpuIndexes: [0, 1], state: 'running', detail: undefined }]);
    expect(fake!.pids('pmon')).toEqual(now);
  });
});
