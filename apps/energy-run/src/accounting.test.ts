import type { ProcessStat } from '@proj/proc-reader';
import fc from 'fast-check';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cpuIntervals, makeOwnCgroup, parseWrapperReport, sampleTree } from './accounting.js';

const stat = (pid: number, ppid: number, utime: number, stime = 0, cutime = 0, cstime = 0): ProcessStat => ({
  pid,
  ppid,
  comm: `p${pid}`,
  state: 'R',
  flags: 0,
  kernelThread: false,
  utimeTicks: utime,
  stimeTicks: stime,
  cutimeTicks: cutime,
  cstimeTicks: cstime,
  numThreads: 1,
  starttimeTicks: pid,
});

describe('sampleTree', () => {
  it('sums the root and its descendants, reaped children (cutime, cstime) included, and nothing else', () => {
    const stats = [stat(1, 0, 1000), stat(10, 1, 5, 1, 30, 4), stat(11, 10, 7, 2), stat(12, 11, 3), stat(20, 1, 100), stat(13, 10, 0, 0, 9, 1)];
    const tree = sampleTree(stats, 10);
    expect([...tree.pids].sort((a, b) => a - b)).toEqual([10, 11, 12, 13]);
    expect(tree.cpuTicks).toBe(5 + 1 + 30 + 4 + 7 + 2 + 3 + 9 + 1);
  });

  it('is empty when the root is gone, and ignores negative cutime', () => {
    expect(sampleTree([stat(2, 1, 5)], 10)).toEqual({ pids: new Set(), cpuTicks: 0 });
    expect(sampleTree([stat(10, 1, 5, 0, -3, 0)], 10).cpuTicks).toBe(5);
  });

  it('survives a ppid loop (a pid reused mid-scan) without counting a process twice', () => {
    const tree = sampleTree([stat(10, 11, 1), stat(11, 10, 2)], 10);
    expect(tree.cpuTicks).toBe(3);
  });
});

describe('cpuIntervals', () => {
  it('ends at the exact total and never goes negative', () => {
    const close = (actual: number[], expected: number[]) => expected.forEach((value, i) => expect(actual[i]).toBeCloseTo(value, 12));
    close(cpuIntervals([0, 0.1, 0.3, 0.2], 0.5), [0.1, 0.2, 0.2]);
    close(cpuIntervals([0, 0.1, null, 0.4], null), [0.1, 0, 0.3]);
    close(cpuIntervals([0, 0.3, 0.2, 0.5], null), [0.3, 0, 0.2]);
  });

  it('scales the sampled intervals down to the exact total when they add up to more', () => {
    const deltas = cpuIntervals([0, 0.4, 0.8, 0.6], 0.4);
    expect(deltas.reduce((a, b) => a + b, 0)).toBeCloseTo(0.4, 12);
    expect(deltas[0]! / deltas[1]!).toBeCloseTo(1, 12);
  });

  it('property: with an exact total the intervals are >= 0 and add up to it', () => {
    fc.assert(
      fc.property(fc.array(fc.option(fc.double({ min: 0, max: 100, noNaN: true }), { nil: null }), { maxLength: 30 }), fc.double({ min: 0, max: 100, noNaN: true }), (samples, exact) => {
        const deltas = cpuIntervals([0, ...samples, null], exact);
        expect(deltas).toHaveLength(samples.length + 1);
        for (const delta of deltas) expect(delta).toBeGreaterThanOrEqual(0);
        const sum = deltas.reduce((a, b) => a + b, 0);
        expect(Math.abs(sum - exact)).toBeLessThanOrEqual(1e-9 * Math.max(1, exact));
      }),
    );
  });
});

describe('parseWrapperReport', () => {
  const line = (comm: string) => `4242 (${comm}) S 4241 4242 4242 0 -1 4194304 212 65 0 0 3 1 250 17 20 0 1 0 179890 2654208 407 18446744073709551615 0 0 0 0 0 0 0 6 81921 0 0 0 17 0 0 0 0 0 0`;

  it("reads the status, the move and the children's times (cutime + cstime)", () => {
    expect(parseWrapperReport(`143 1\n${line('sh')}\n`)).toEqual({ status: 143, movedToCgroup: true, childrenCpuTicks: 267 });
    expect(parseWrapperReport(`0 0\n${line('a) b (c')}\n`)).toEqual({ status: 0, movedToCgroup: false, childrenCpuTicks: 267 });
  });

  it('is undefined for what a killed wrapper leaves', () => {
    for (const text of ['', '3 1\n', `3\n${line('sh')}`, `x 1\n${line('sh')}`, '3 0\n4242 (sh S']) expect(parseWrapperReport(text)).toBeUndefined();
  });
});

describe('makeOwnCgroup', () => {
  it('says why each hierarchy cannot be used, and leaves nothing behind', () => {
    const root = mkdtempSync(join(tmpdir(), 'energy-run-cg-'));
    const proc = mkdtempSync(join(tmpdir(), 'energy-run-proc-'));
    try {
      // A v2 root that lets a directory be made but gives it no cpu.stat (a plain directory, as here), and no v1.
      writeFileSync(join(root, 'cgroup.controllers'), '');
      mkdirSync(join(proc, 'self'));
      writeFileSync(join(proc, 'self', 'cgroup'), '0::/\n');
      const made = makeOwnCgroup({ cgroupRoot: root, procfsRoot: proc, hierarchy: 'auto', name: 'test' });
      expect('reasons' in made && made.reasons).toEqual([`no cgroup v1 cpuacct hierarchy under ${root}`, `a cgroup v2 at ${join(root, 'energy-run-test')} has no CPU usage to read`]);
      expect(existsSync(join(root, 'energy-run-test'))).toBe(false);
      const none = makeOwnCgroup({ cgroupRoot: join(root, 'missing'), procfsRoot: proc, hierarchy: 'v1', name: 'test' });
      expect('reasons' in none && none.reasons).toEqual([`no cgroup v1 cpuacct hierarchy under ${join(root, 'missing')}`]);
    } finally {
      rmSync(root, { recursive: true, force: true });
      rmSync(proc, { recursive: true, force: true });
    }
  });
});
