import { hwmonTreeNames, loadHwmonTree, materializeHwmonTree, type MaterializedHwmonTree } from '@proj/fixtures';
import { nodeHwmonIo, openHwmon, type HwmonIo } from '@proj/hwmon-reader';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createHwmonCollector, type HwmonCollectorOptions } from './hwmon.js';

const trees: MaterializedHwmonTree[] = [];
afterEach(() => {
  while (trees.length > 0) trees.pop()!.remove();
});

/** A collector over an hwmon fixture tree, with a clock the test moves. */
function setup(treeName: string, overrides: Partial<HwmonCollectorOptions> = {}) {
  const tree = materializeHwmonTree(treeName);
  trees.push(tree);
  const registry = new Registry();
  let t = 0;
  const collector = createHwmonCollector({ sysfsRoot: tree.root, registry, now: () => t, ...overrides });
  let tick = 0;
  const at = async (ms: number) => {
    t = ms;
    await collector.sample({ index: tick++ } as never);
  };
  const values = async (name: string) => (await registry.getMetricsAsJSON()).find((m) => m.name === name)?.values ?? [];
  /** The sensor file of a chip's sensor as the fixture lays it out (hwmonN/<sensor>_input). */
  const sensorOf = async (chip: string, sensor: string, label: string) => {
    const found = (await openHwmon({ sysfsRoot: tree.root }).discover()).sensors.find((s) => s.chip.chip === chip && s.sensor === sensor && s.label === label);
    if (!found) throw new Error(`no ${chip} ${sensor} ${label} in ${treeName}`);
    return found;
  };
  return { tree, registry, collector, at, values, sensorOf };
}

const key = (labels: object) => JSON.stringify(Object.entries(labels).sort());

describe.each(hwmonTreeNames())('hwmon collector on %s', (name) => {
  const { expect: expected } = loadHwmonTree(name);

  it('serves every expected power sensor in watts with chip, sensor, label (and device where two chips share a name)', async () => {
    const { at, values } = setup(name);
    await at(0);
    const served = new Map((await values('hwmon_power_watts')).map((v) => [key(v.labels), v.value]));
    const want = new Map(
      expected.power.map((p) => [key({ chip: p.chip, sensor: p.sensor, label: p.label, ...(p.device === undefined ? {} : { device: p.device }) }), p.watts]),
    );
    // Every expected series, and nothing more that matches no expectation under its labels.
    for (const [labels, watts] of want) expect(served.get(labels), labels).toBeCloseTo(watts, 6);
    expect([...served.keys()].sort()).toEqual([...want.keys()].sort());
  });

  it('counts energy from 0 at start, in joules from the microjoule counters, and hands on only CPU socket energy', async () => {
    const { at, values, tree, collector, sensorOf } = setup(name);
    await at(0);
    await at(1000);
    const series = await values('hwmon_energy_joules_total');
    expect(series.map((v) => key(v.labels)).sort()).toEqual(expected.energy.map((e) => key({ chip: e.chip, sensor: e.sensor, label: e.label })).sort());
    for (const v of series) expect(v.value).toBe(0);

    // Each counter gains 2.5 J + its index (µJ in the file): the total and the socket intervals follow in joules.
    for (const [i, e] of expected.energy.entries()) {
      const s = await sensorOf(e.chip, e.sensor, e.label);
      tree.setFile(s.chip.id, `${s.sensor}_input`, Math.round(e.joules * 1e6) + 2_500_000 + i * 1_000_000);
    }
    await at(2000);
    const after = await values('hwmon_energy_joules_total');
    expected.energy.forEach((e, i) => {
      const v = after.find((x) => key(x.labels) === key({ chip: e.chip, sensor: e.sensor, label: e.label }));
      expect(v?.value).toBeCloseTo(2.5 + i, 6);
    });
    const { intervals, tickIndex } = collector.lastIntervals();
    expect(tickIndex).toBe(2);
    const socket = expected.cpu_attribution;
    if (socket === undefined) {
      expect(intervals).toEqual([]);
      expect(collector.socketEnergyLive()).toBe(false);
    } else {
      const i = expected.energy.findIndex((e) => socket.from.includes(e.sensor) && socket.from.includes(e.label));
      expect(intervals).toEqual([expect.objectContaining({ source: 'hwmon', zone: socket.zone, package: socket.zone.replace('package_', ''), intervalMs: 1000 })]);
      expect(intervals[0]!.deltaJoules).toBeCloseTo(2.5 + i, 6);
      expect(collector.socketEnergyLive()).toBe(true);
    }
  });
});

describe('hwmon collector faults', () => {
  it('leaves a failing power sensor out (never 0), counts the reason, keeps the others, and serves it again when it recovers', async () => {
    const failing = { active: false };
    const io: HwmonIo = {
      ...nodeHwmonIo,
      readFile(path) {
        if (failing.active && path.endsWith('power1_input') && path.includes('hwmon0')) throw Object.assign(new Error('EIO: injected'), { code: 'EIO' });
        return nodeHwmonIo.readFile(path);
      },
    };
    const { at, values, collector } = setup('zenpower-multisocket', { io });
    await at(0);
    expect((await values('hwmon_power_watts')).length).toBe(3);
    failing.active = true;
    await at(1000);
    const served = await values('hwmon_power_watts');
    expect(served.length).toBe(2);
    expect(served.some((v) => v.labels['device'] === '0000:00:1d.3')).toBe(false);
    expect((await values('cpu_exporter_hwmon_read_errors_total')).find((v) => v.labels['reason'] === 'io_error')?.value).toBe(1);
    expect(collector.health()).toMatchObject({ status: 'degraded', reasons: [expect.stringContaining('io_error')] });
    failing.active = false;
    await at(2000);
    expect((await values('hwmon_power_watts')).length).toBe(3);
    expect(collector.health().status).toBe('ok');
  });

  it('says on /health, naming the directory once, when the hwmon class cannot be listed', async () => {
    const io: HwmonIo = {
      ...nodeHwmonIo,
      readdir(path) {
        if (path.endsWith(join('class', 'hwmon'))) throw Object.assign(new Error('EACCES: injected'), { code: 'EACCES' });
        return nodeHwmonIo.readdir(path);
      },
    };
    const { at, collector, tree } = setup('acpi-power-meter-262w', { io });
    await at(0);
    expect(collector.health()).toMatchObject({ status: 'degraded', reasons: [`cannot list the hwmon chips: ${join(tree.root, 'class', 'hwmon')}: EACCES`] });
  });

  it("serves no series for ACPI's 'unknown' power (0xFFFFFFFF mW) and says no_data", async () => {
    const { at, values, tree } = setup('acpi-power-meter-262w');
    tree.setFile('hwmon0', 'power1_average', 4294967295000);
    await at(0);
    expect(await values('hwmon_power_watts')).toEqual([]);
    expect((await values('cpu_exporter_hwmon_read_errors_total')).find((v) => v.labels['reason'] === 'no_data')?.value).toBe(1);
  });

  it('skips an energy interval whose counter went down (a reset), never a negative delta', async () => {
    const { at, values, tree, collector, sensorOf } = setup('zenergy-ryzen-laptop');
    const socket = await sensorOf('zenergy', 'energy7', 'Esocket0');
    await at(0);
    tree.setFile(socket.chip.id, 'energy7_input', 1_000_000);
    await at(1000);
    expect(collector.lastIntervals().intervals).toEqual([]);
    expect((await values('cpu_exporter_hwmon_energy_resets_total'))[0]?.value).toBe(1);
    tree.setFile(socket.chip.id, 'energy7_input', 3_000_000);
    await at(2000);
    expect(collector.lastIntervals().intervals[0]?.deltaJoules).toBeCloseTo(2, 9);
    const total = (await values('hwmon_energy_joules_total')).find((v) => v.labels['label'] === 'Esocket0')?.value;
    expect(total).toBeCloseTo(2, 9);
  });

  it('finds a chip loaded after start at the next rediscovery, and drops one that went', async () => {
    const { at, values, tree } = setup('acpi-power-meter-262w', { rediscoverEveryMs: 5000 });
    const { rmSync, renameSync } = await import('node:fs');
    const { join } = await import('node:path');
    const link = join(tree.root, 'class', 'hwmon', 'hwmon0');
    renameSync(link, `${link}.away`);
    await at(0);
    expect(await values('hwmon_power_watts')).toEqual([]);
    renameSync(`${link}.away`, link);
    await at(1000);
    expect(await values('hwmon_power_watts')).toEqual([]); // not looked for yet
    await at(5000);
    expect((await values('hwmon_power_watts')).map((v) => v.value)).toEqual([262]);
    rmSync(link);
    await at(6000); // ENOENT: looked for again at once
    await at(7000);
    expect(await values('hwmon_power_watts')).toEqual([]);
  });
});
