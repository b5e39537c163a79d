import { materializePowercapTree, powercapTreeNames, loadPowercapTree, type MaterializedTree } from '@proj/fixtures';
import { nodeSysfsIo, type SysfsIo } from '@proj/rapl-reader';
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createRaplCollector, type RaplCollectorOptions } from './collector.js';

const trees: MaterializedTree[] = [];
afterEach(() => {
  while (trees.length > 0) trees.pop()!.remove();
});

/** A collector over a fixture tree, with a clock the test moves. */
function setup(treeName: string, overrides: Partial<RaplCollectorOptions> = {}) {
  const tree = materializePowercapTree(treeName);
  trees.push(tree);
  const registry = new Registry();
  let t = 0;
  const collector = createRaplCollector({ sysfsRoot: tree.root, registry, now: () => t, ...overrides });
  const at = async (ms: number) => {
    t = ms;
    await collector.sample();
  };
  /** Current value of a metric's series whose labels include `labels`; undefined when the series is absent. */
  const value = async (name: string, labels: Record<string, string> = {}) => {
    const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
    const series = metric?.values.find((v) => Object.entries(labels).every(([k, want]) => v.labels[k] === want));
    return series?.value;
  };
  const series = async (name: string) => (await registry.getMetricsAsJSON()).find((m) => m.name === name)?.values.map((v) => v.labels) ?? [];
  return { tree, registry, collector, at, value, series };
}

/** node:fs, except that some files throw an errno while `failing.active` is true. */
function failingIo(code: string, suffix: string) {
  const state = { active: true };
  const io: SysfsIo = {
    ...nodeSysfsIo,
    readFile(path) {
      if (state.active && path.endsWith(suffix)) throw Object.assign(new Error(`${code}: injected`), { code });
      return nodeSysfsIo.readFile(path);
    },
  };
  return { io, state };
}

describe.each(powercapTreeNames())('collector on %s', (name) => {
  const { expect: expected } = loadPowercapTree(name);

  it('exports each expected zone once, with its labels, and 0 W while nothing moves', async () => {
    const { at, series, value } = setup(name);
    await at(0);
    await at(1000);
    const want = expected.zones.map((z) => (z.package === undefined ? { zone: z.zone } : { zone: z.zone, package: z.package }));
    const sort = (a: object[]) => a.map((l) => JSON.stringify(l)).sort();
    expect(sort(await series('rapl_power_watts'))).toEqual(sort(want));
    expect(sort(await series('rapl_energy_joules_total'))).toEqual(sort(want));
    for (const labels of await series('rapl_power_watts')) expect(await value('rapl_power_watts', labels as Record<string, string>)).toBe(0);
    expect(await value('rapl_available')).toBe(expected.zones.length > 0 ? 1 : 0);
    expect(await value('cpu_exporter_read_errors_total', { reason: 'parse_error' })).toBe(2 * (expected.unreadable?.length ?? 0));
  });
});

describe('createRaplCollector', () => {
  it('exports power only once two readings exist, then the exact average power', async () => {
    const { tree, at, value } = setup('intel-laptop-psys-symlinks');
    await at(0);
    expect(await value('rapl_power_watts', { zone: 'package_0' })).toBeUndefined();
    expect(await value('rapl_energy_joules_total', { zone: 'package_0' })).toBe(0);
    tree.setEnergyUj('intel-rapl:0', 26963529117 + 7_250_000);
    await at(500);
    expect(await value('rapl_power_watts', { zone: 'package_0' })).toBe(14.5);
    expect(await value('rapl_energy_joules_total', { zone: 'package_0' })).toBe(7.25);
  });

  it('counts zones discovered, readable or not', async () => {
    const { at, value } = setup('malformed-values');
    await at(0);
    expect(await value('rapl_zones_discovered')).toBe(8);
    expect(await value('rapl_available')).toBe(1);
  });

  it('skips a zone that answers EACCES, counts it, goes on with the others, and recovers the energy across the gap', async () => {
    const { io, state } = failingIo('EACCES', 'intel-rapl:0:1/energy_uj');
    const { tree, at, value, collector } = setup('intel-laptop-psys-symlinks', { io });
    await at(0);
    await at(1000);
    expect(await value('cpu_exporter_read_errors_total', { reason: 'permission_denied' })).toBe(2);
    expect(await value('rapl_power_watts', { zone: 'uncore' })).toBeUndefined();
    expect(await value('rapl_power_watts', { zone: 'core' })).toBe(0);
    expect(collector.health()).toMatchObject({ status: 'degraded' });
    expect(collector.health().reasons[0]).toContain('1 of 5 RAPL zones unreadable: intel-rapl:0:1: permission_denied');
    expect(collector.health().reasons[0]).toContain('root');

    // Readable again: the first reading is the baseline; energy used while unreadable is not lost.
    state.active = false;
    await at(2000);
    tree.setEnergyUj('intel-rapl:0:1', 6564982278 + 3_000_000);
    await at(3000);
    expect(await value('rapl_power_watts', { zone: 'uncore' })).toBe(3);
    expect(await value('rapl_energy_joules_total', { zone: 'uncore' })).toBe(3);
    expect(collector.health()).toMatchObject({ status: 'ok', reasons: [] });
  });

  it('turning EACCES mid-run and back keeps the energy used while unreadable', async () => {
    const { io, state } = failingIo('EACCES', 'intel-rapl:0/energy_uj');
    state.active = false;
    const { tree, at, value } = setup('intel-laptop-psys-symlinks', { io });
    await at(0);
    tree.setEnergyUj('intel-rapl:0', 26963529117 + 10_000_000);
    await at(1000);
    state.active = true;
    tree.setEnergyUj('intel-rapl:0', 26963529117 + 20_000_000);
    await at(2000);
    tree.setEnergyUj('intel-rapl:0', 26963529117 + 30_000_000);
    await at(3000);
    expect(await value('rapl_power_watts', { zone: 'package_0' })).toBeUndefined();
    state.active = false;
    tree.setEnergyUj('intel-rapl:0', 26963529117 + 40_000_000);
    await at(4000);
    // 30 J over the 3 s since the last good reading
    expect(await value('rapl_power_watts', { zone: 'package_0' })).toBe(10);
    expect(await value('rapl_energy_joules_total', { zone: 'package_0' })).toBe(40);
  });

  it('counts a counter reset without a usable range as a skipped interval, never negative power', async () => {
    const { tree, at, value } = setup('malformed-values');
    await at(0);
    tree.setEnergyUj('intel-rapl:1', 5);
    await at(1000);
    expect(await value('rapl_power_watts', { zone: 'package_1' })).toBeUndefined();
    expect(await value('cpu_exporter_energy_intervals_skipped_total', { reason: 'reset' })).toBe(1);
    tree.setEnergyUj('intel-rapl:1', 2_000_005);
    await at(2000);
    expect(await value('rapl_power_watts', { zone: 'package_1' })).toBe(2);
  });

  it('finds zones that appear later (a driver loaded after start)', async () => {
    const { tree, at, value, collector } = setup('no-powercap', { rediscoverEveryMs: 5000 });
    await at(0);
    expect(await value('rapl_available')).toBe(0);
    expect(collector.health().status).toBe('degraded');
    expect(collector.health().reasons[0]).toContain('no RAPL zones under');
    materializePowercapTree('amd-epyc-7401p', tree.root);
    await at(1000);
    expect(await value('rapl_available')).toBe(0);
    await at(5000);
    expect(await value('rapl_available')).toBe(1);
    expect(await value('rapl_zones_discovered')).toBe(2);
    expect(collector.health().status).toBe('ok');
  });

  it('drops a vanished zone at once and takes it back, continuing from its last reading, when it returns', async () => {
    const { tree, at, value } = setup('procfs-intel-hex-id', { rediscoverEveryMs: 60_000 });
    const dir = tree.zoneDir('intel-rapl:a');
    const hidden = join(tree.root, 'hidden-zone');
    const start = 240422366267;
    await at(0);
    tree.setEnergyUj('intel-rapl:a', start + 1_000_000);
    await at(1000);
    expect(await value('rapl_energy_joules_total', { zone: 'package_10' })).toBe(1);
    renameSync(dir, hidden);
    await at(2000); // the read fails (not_found) and asks for rediscovery
    expect(await value('cpu_exporter_read_errors_total', { reason: 'not_found' })).toBe(1);
    await at(3000);
    expect(await value('rapl_zones_discovered')).toBe(2);
    expect(await value('rapl_power_watts', { zone: 'package_10' })).toBeUndefined();
    renameSync(hidden, dir);
    tree.setEnergyUj('intel-rapl:a', start + 61_000_000); // the counter ran on while the zone was away: 1 W
    await at(62_000); // not yet time to look again (last looked at 3000)
    expect(await value('rapl_zones_discovered')).toBe(2);
    await at(63_000);
    expect(await value('rapl_zones_discovered')).toBe(3);
    // Within the gap limit: the 60 J used while away are kept.
    expect(await value('rapl_energy_joules_total', { zone: 'package_10' })).toBe(61);
    tree.setEnergyUj('intel-rapl:a', start + 63_000_000);
    await at(64_000);
    expect(await value('rapl_power_watts', { zone: 'package_10' })).toBe(2);
    expect(await value('rapl_energy_joules_total', { zone: 'package_10' })).toBe(63);
  });

  it('keeps ~all the energy of a zone flapping for 25 s at 20 W (vanishing for less than the gap limit each time)', async () => {
    const { tree, at, value } = setup('procfs-intel-hex-id', { rediscoverEveryMs: 1000 });
    const dir = tree.zoneDir('intel-rapl:a');
    const hidden = join(tree.root, 'hidden-zone');
    const start = 240422366267;
    const away = new Set([3, 4, 8, 12, 13, 14, 18, 21, 22]);
    let present = true;
    for (let s = 0; s <= 25; s++) {
      const shouldBe = !away.has(s);
      if (shouldBe !== present) renameSync(shouldBe ? hidden : dir, shouldBe ? dir : hidden);
      present = shouldBe;
      // 20 W, whether or not the zone is visible: the counter is the hardware's.
      writeFileSync(join(present ? dir : hidden, 'energy_uj'), `${start + s * 20_000_000}\n`);
      await at(s * 1000);
      if (!present) expect(await value('rapl_power_watts', { zone: 'package_10' })).toBeUndefined(); // gone for now
    }
    expect(await value('cpu_exporter_energy_intervals_skipped_total', { reason: 'reset' })).toBe(0);
    expect(await value('rapl_energy_joules_total', { zone: 'package_10' })).toBeCloseTo(500, 6);
  });

  it('still refuses a counter that went back while the zone was away (a reset, not a wrap)', async () => {
    const { tree, at, value } = setup('procfs-intel-hex-id', { rediscoverEveryMs: 1000 });
    const dir = tree.zoneDir('intel-rapl:a');
    const hidden = join(tree.root, 'hidden-zone');
    const start = 240422366267;
    await at(0);
    renameSync(dir, hidden);
    await at(1000);
    await at(2000);
    renameSync(hidden, dir);
    tree.setEnergyUj('intel-rapl:a', start - 1); // stepped back: a full wrap in 3 s would be 87 kW
    await at(3000);
    expect(await value('cpu_exporter_energy_intervals_skipped_total', { reason: 'reset' })).toBe(1);
    expect(await value('rapl_energy_joules_total', { zone: 'package_10' })).toBe(0);
  });

  it('names the zones whose labels collided on /health', async () => {
    const base = loadPowercapTree('intel-laptop-psys-symlinks');
    const files = { ...base.files };
    const symlinks = { ...base.symlinks };
    files['devices/virtual/powercap/intel-rapl/intel-rapl:2/name'] = 'PSYS\n';
    files['devices/virtual/powercap/intel-rapl/intel-rapl:2/energy_uj'] = '1000\n';
    files['devices/virtual/powercap/intel-rapl/intel-rapl:2/max_energy_range_uj'] = '262143328850\n';
    symlinks['class/powercap/intel-rapl:2'] = '../../devices/virtual/powercap/intel-rapl/intel-rapl:2';
    const tree = materializePowercapTree({ ...base, name: 'colliding', files, symlinks });
    trees.push(tree);
    const collector = createRaplCollector({ sysfsRoot: tree.root, registry: new Registry(), now: () => 0 });
    await collector.sample();
    expect(collector.health().details?.zone_label_collisions).toEqual([{ id: 'intel-rapl:2', zone: 'psys_intel_rapl_2', collides_with: 'intel-rapl:1' }]);
  });
});

describe('an unlistable powercap class', () => {
  it('says so on /health, naming the directory once', async () => {
    const io: SysfsIo = {
      ...nodeSysfsIo,
      readdir(path) {
        if (path.endsWith(join('class', 'powercap'))) throw Object.assign(new Error('EACCES: injected'), { code: 'EACCES' });
        return nodeSysfsIo.readdir(path);
      },
    };
    const { at, collector, tree } = setup('intel-laptop-psys-symlinks', { io });
    await at(0);
    const reasons = collector.health().reasons;
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toMatch(/^cannot list the powercap zones: /);
    expect(reasons[0]!.split(join(tree.root, 'class', 'powercap')).length - 1).toBe(1);
  });
});

describe('lastIntervals', () => {
  it('hands on each zone\'s wrap-corrected energy and interval of the latest tick, for the collectors after it', async () => {
    let t = 0;
    const { tree, collector } = setup('amd-epyc-7401p', { now: () => t });
    expect(collector.lastIntervals()).toEqual({ tickIndex: -1, intervals: [] });
    const max = 65532610987;
    tree.setEnergyUj('intel-rapl:0', max - 1_000_000);
    await collector.sample({ index: 0, scheduledAtMs: 0, startedAtMs: 0 });
    // a first reading only sets the baseline
    expect(collector.lastIntervals()).toEqual({ tickIndex: 0, intervals: [] });
    tree.setEnergyUj('intel-rapl:0', 4_000_000); // wrapped: 1 J to the top, then 4 J
    t = 1000;
    await collector.sample({ index: 1, scheduledAtMs: 1000, startedAtMs: 1000 });
    const { tickIndex, intervals } = collector.lastIntervals();
    expect(tickIndex).toBe(1);
    const zones = loadPowercapTree('amd-epyc-7401p').expect.zones;
    expect(intervals).toHaveLength(zones.length);
    expect(intervals.find((i) => i.id === 'intel-rapl:0')).toEqual({ source: 'rapl', id: 'intel-rapl:0', zone: 'package_0', package: '0', deltaJoules: 5, intervalMs: 1000 });
  });
});

describe('the default clock', () => {
  it('times intervals on the monotonic clock: a wall clock set back an hour leaves interval and power right', async () => {
    const realDateNow = Date.now.bind(Date);
    let shiftMs = 0;
    const wallClock = vi.spyOn(Date, 'now').mockImplementation(() => realDateNow() + shiftMs);
    try {
      // No `now`: the collector's own default.
      const tree = materializePowercapTree('intel-laptop-psys-symlinks');
      trees.push(tree);
      const registry = new Registry();
      const collector = createRaplCollector({ sysfsRoot: tree.root, registry });
      const before1 = performance.now();
      await collector.sample();
      const after1 = performance.now();
      tree.setEnergyUj('intel-rapl:0', 26963529117 + 5_000_000);
      shiftMs = -3_600_000; // NTP or an operator sets the clock back an hour
      await new Promise((resolve) => setTimeout(resolve, 20));
      const before2 = performance.now();
      await collector.sample();
      const after2 = performance.now();

      const interval = collector.lastIntervals().intervals.find((i) => i.id === 'intel-rapl:0');
      expect(interval?.deltaJoules).toBe(5);
      // The reads happened within these windows of the monotonic clock, whatever the wall clock said.
      expect(interval!.intervalMs).toBeGreaterThanOrEqual(before2 - after1);
      expect(interval!.intervalMs).toBeLessThanOrEqual(after2 - before1);
      const watts = (await registry.getMetricsAsJSON()).find((m) => m.name === 'rapl_power_watts')!.values.find((v) => v.labels.zone === 'package_0')!.value;
      expect(watts).toBeCloseTo(5 / (interval!.intervalMs / 1000), 9);
    } finally {
      wallClock.mockRestore();
    }
  });
});

describe('a read stuck in the kernel', () => {
  it('holds the sample, not the event loop: timers run meanwhile, and the sample ends once the read answers', async () => {
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    const io: SysfsIo = {
      ...nodeSysfsIo,
      // psys's counter hangs (a stopped FUSE daemon, a dead NFS server) until the test lets it go.
      readFile: (path) => (path.endsWith(join('intel-rapl:1', 'energy_uj')) ? released.then(() => nodeSysfsIo.readFile(path)) : nodeSysfsIo.readFile(path)),
    };
    const { collector, value } = setup('intel-laptop-psys-symlinks', { io });
    let done = false;
    const sampling = collector.sample().then(() => (done = true));
    let timerRan = false;
    await new Promise<void>((resolve) => setTimeout(() => ((timerRan = true), resolve()), 50));
    expect(timerRan).toBe(true);
    expect(done).toBe(false);
    release();
    await sampling;
    expect(await value('rapl_available')).toBe(1);
    expect(collector.lastIntervals().tickIndex).toBe(0);
  });
});

describe('a sysfs root that cannot be listed', () => {
  it('is no error when the collector is made, and is said on /health, naming the root', async () => {
    const tree = materializePowercapTree('intel-laptop-psys-symlinks');
    trees.push(tree);
    const root = join(tree.root, 'nonexistent');
    const collector = createRaplCollector({ sysfsRoot: root, registry: new Registry(), now: () => 0 });
    await collector.sample();
    const { status, reasons } = collector.health();
    expect(status).toBe('degraded');
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toMatch(/^cannot list the powercap zones: /);
    expect(reasons[0]).toContain(root);
  });
});
