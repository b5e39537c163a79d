import { describe, expect, it } from 'vitest';
import { summarizeCpuProfile, type CpuProfile } from './cpu-profile.js';

const frame = (functionName: string, url = '', lineNumber = 0) => ({ functionName, url, lineNumber });

describe('summarizeCpuProfile', () => {
  // Three nodes; samples at 1, 2, 3, 5 and 6 ms after the start (the deltas are in microseconds).
  const profile: CpuProfile = {
    nodes: [
      { id: 1, callFrame: frame('(idle)') },
      { id: 2, callFrame: frame('scan', 'file:///app/dist/main.js', 41) },
      { id: 3, callFrame: frame('(garbage collector)') },
    ],
    startTime: 1_000_000,
    endTime: 1_006_000,
    samples: [2, 2, 3, 1, 2],
    timeDeltas: [1000, 1000, 1000, 2000, 1000],
  };

  it("sums each sample's preceding interval into its function, largest first, named with file and line", () => {
    expect(summarizeCpuProfile(profile)).toEqual({
      totalMs: 6,
      idleMs: 2,
      functions: [
        { name: 'scan main.js:42', selfMs: 3 },
        { name: '(idle)', selfMs: 2 },
        { name: '(garbage collector)', selfMs: 1 },
      ],
    });
  });

  it('leaves out the samples of the first skipMs', () => {
    expect(summarizeCpuProfile(profile, 2.5)).toEqual({
      totalMs: 4,
      idleMs: 2,
      functions: [
        { name: '(idle)', selfMs: 2 },
        { name: '(garbage collector)', selfMs: 1 },
        { name: 'scan main.js:42', selfMs: 1 },
      ],
    });
  });
});
