import { loadProcCapture } from '@proj/fixtures';
import { describe, expect, it } from 'vitest';
import { parseCgroupCpuStat, parseCpuacctStat, parseCpuacctUsageNs } from './cgroup-cpu.js';
import { ProcParseError } from './errors.js';

describe('parseCgroupCpuStat', () => {
  it('reads the v2 root cpu.stat (blank trailing line tolerated)', () => {
    const capture = loadProcCapture('stat', 'kepler-pr159__cgroupv2-root-cpu-stat');
    const stat = parseCgroupCpuStat(capture.text, capture.file);
    expect(stat).toMatchObject({ usageUsec: 8210530646, userUsec: 5555530859, systemUsec: 2654999787 });
    expect(stat.fields).toMatchObject({ nr_periods: 0, throttled_usec: 0 });
  });

  it('reads a throttled container cpu.stat', () => {
    const stat = parseCgroupCpuStat(loadProcCapture('stat', 'netdata-12595__cgroupv2-cpu-stat-throttled').text);
    expect(stat).toMatchObject({ usageUsec: 73899, userUsec: 27213, systemUsec: 46685 });
    expect(stat.fields['throttled_usec']).toBe(139381);
  });

  it('refuses a v1 cpu.stat, which holds throttling only, pointing at cpuacct.usage', () => {
    const capture = loadProcCapture('stat', 'netdata-12595__cgroupv1-cpu-stat-throttling');
    expect(() => parseCgroupCpuStat(capture.text, capture.file)).toThrow(/cpuacct\.usage/);
    expect(() => parseCgroupCpuStat('usage_usec x\n')).toThrow(ProcParseError);
  });
});

describe('cgroup v1 cpuacct', () => {
  it('reads cpuacct.usage in nanoseconds', () => {
    expect(parseCpuacctUsageNs(loadProcCapture('stat', 'mariadb-pr1887__cgroupv1-cpuacct-usage-nanoseconds').text)).toBe(1000053);
    expect(() => parseCpuacctUsageNs('')).toThrow(ProcParseError);
    expect(() => parseCpuacctUsageNs('-5\n')).toThrow(ProcParseError);
  });

  it('reads cpuacct.stat in clock ticks', () => {
    expect(parseCpuacctStat(loadProcCapture('stat', 'coreos-bugs-71__cgroupv1-cpuacct-stat-docker-scope').text)).toEqual({ userTicks: 510, systemTicks: 61 });
    expect(() => parseCpuacctStat('user 5\n')).toThrow(ProcParseError);
  });
});
