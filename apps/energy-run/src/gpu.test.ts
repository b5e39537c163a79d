import type { PmonRow } from '@proj/nvsmi-parser';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createGpuAccount } from './gpu.js';

const GPUS = [
  { gpuId: '0', gpuUuid: 'GPU-0' },
  { gpuId: '1', gpuUuid: 'GPU-1' },
];
const row = (gpuIndex: number, pid: number | undefined, sm?: number, enc?: number, dec?: number): PmonRow =>
  ({ gpuIndex, pid, type: pid === undefined ? undefined : 'C', smPercent: sm, memPercent: undefined, encPercent: enc, decPercent: dec, jpgPercent: undefined, ofaPercent: undefined, fbMiB: undefined, ccpmMiB: undefined, command: pid === undefined ? undefined : 'ffmpeg' }) as PmonRow;

describe('createGpuAccount', () => {
  it('integrates power over time and gives the command its utilisation share of each pmon interval', () => {
    const account = createGpuAccount(GPUS);
    account.power(0, [{ gpuId: '0', gpuUuid: 'GPU-0', powerWatts: 100 }]);
    account.power(1000, [{ gpuId: '0', gpuUuid: 'GPU-0', powerWatts: 200 }]); // 150 J
    // The command's pid 42 has 30 of 30 + 10 + 20: half.
    account.pmon([row(0, 42, 20, 10), row(0, 7, 10), row(0, 8, undefined, undefined, 20), row(1, undefined)], (pid) => pid === 42);
    account.power(2000, [{ gpuId: '0', gpuUuid: 'GPU-0', powerWatts: 200 }]); // 200 J more, split by the last interval
    const [gpu0, gpu1] = account.finish();
    expect(gpu0).toEqual({ gpuId: '0', gpuUuid: 'GPU-0', joules: 350, attributedJoules: 175, pmonSamples: 1 });
    expect(gpu1).toEqual({ gpuId: '1', gpuUuid: 'GPU-1', joules: 0, attributedJoules: 0, pmonSamples: 1 });
  });

  it('leaves all of it unattributed when the command is not among pmon rows, or no process was busy', () => {
    const account = createGpuAccount(GPUS);
    account.power(0, [{ gpuId: '0', gpuUuid: 'GPU-0', powerWatts: 50 }]);
    account.power(2000, [{ gpuId: '0', gpuUuid: 'GPU-0', powerWatts: 50 }]);
    account.pmon([row(0, 7, 50)], (pid) => pid === 42);
    account.power(3000, [{ gpuId: '0', gpuUuid: 'GPU-0', powerWatts: 50 }]);
    account.pmon([row(0, 42)], (pid) => pid === 42);
    expect(account.finish()[0]).toMatchObject({ joules: 150, attributedJoules: 0, pmonSamples: 2 });
  });

  it('property: the share is between 0 and the GPU energy', () => {
    const step = fc.record({ dtMs: fc.integer({ min: 0, max: 2000 }), watts: fc.double({ min: 0, max: 700, noNaN: true }), pmon: fc.array(fc.tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 0, max: 100 })), { maxLength: 5 }) });
    fc.assert(
      fc.property(fc.array(step, { maxLength: 30 }), (steps) => {
        const account = createGpuAccount(GPUS);
        let at = 0;
        for (const s of steps) {
          at += s.dtMs;
          account.power(at, [{ gpuId: '0', gpuUuid: 'GPU-0', powerWatts: s.watts }]);
          if (s.pmon.length > 0) account.pmon(s.pmon.map(([pid, sm]) => row(0, pid, sm)), (pid) => pid === 1);
        }
        const [gpu] = account.finish();
        expect(gpu!.attributedJoules).toBeGreaterThanOrEqual(0);
        expect(gpu!.attributedJoules).toBeLessThanOrEqual(gpu!.joules);
      }),
    );
  });
});
