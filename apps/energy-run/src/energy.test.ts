import { materializeHwmonTree, materializePowercapTree } from '@proj/fixtures';
import { createCcfLinearModel } from '@proj/power-estimate';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { chooseEnergySource, estimateSource } from './energy.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});
let clock = 0;
const now = () => clock;

describe('chooseEnergySource', () => {
  it('takes RAPL first: every zone, labelled as the exporter labels it, with wrap-corrected deltas', async () => {
    const tree = materializePowercapTree('intel-laptop-psys-symlinks');
    cleanups.push(() => tree.remove());
    const source = await chooseEnergySource({ sysfsRoot: tree.root, cpuCount: 4, estimate: true, now });
    expect(source.kind).toBe('rapl');
    expect(source.zones.map((zone) => [zone.zone, zone.package])).toEqual([
      ['package_0', '0'],
      ['core', '0'],
      ['uncore', '0'],
      ['dram', '0'],
      ['psys', undefined],
    ]);
    tree.setEnergyUj('intel-rapl:0', 26963529117 + 2_500_000);
    clock += 1000;
    const deltas = await source.sample(clock, null);
    expect(deltas.find((d) => d.key === 'intel-rapl:0')?.deltaJoules).toBeCloseTo(2.5, 9);
    expect(deltas.find((d) => d.key === 'intel-rapl:1')?.deltaJoules).toBe(0);
  });

  it('then hwmon socket energy (zenergy Esocket0 as package_0)', async () => {
    const tree = materializeHwmonTree('zenergy-ryzen-laptop');
    cleanups.push(() => tree.remove());
    const source = await chooseEnergySource({ sysfsRoot: tree.root, cpuCount: 4, estimate: true, now });
    expect(source.kind).toBe('hwmon');
    expect(source.zones).toEqual([{ key: expect.any(String), source: 'hwmon', zone: 'package_0', package: '0' }]);
    expect(source.description).toContain('no RAPL zones');
    writeFileSync(join(tree.root, 'devices/platform/zenergy.0/hwmon/hwmon0/energy7_input'), '13261000000\n');
    clock += 1000;
    expect(await source.sample(clock, null)).toEqual([{ key: source.zones[0]!.key, deltaJoules: 1 }]);
  });

  it('then the estimate, said to be one; or none when the estimate is off', async () => {
    const tree = materializePowercapTree('no-powercap');
    cleanups.push(() => tree.remove());
    const estimate = await chooseEnergySource({ sysfsRoot: tree.root, cpuCount: 2, estimate: true, now });
    expect(estimate.kind).toBe('estimate');
    expect(estimate.description).toMatch(/^ESTIMATED from the CPU busy ratio \(ccf_linear\), not measured: no RAPL zones under .*, no hwmon socket energy$/);
    const none = await chooseEnergySource({ sysfsRoot: tree.root, cpuCount: 2, estimate: false, now });
    expect(none).toMatchObject({ kind: null, zones: [] });
    expect(none.description).toMatch(/^no energy source was found \(.*estimate off\)$/);
    expect(await none.sample(0, null)).toEqual([]);
  });
});

describe('estimateSource', () => {
  it("integrates the model's watts at each interval's busy ratio over the interval", () => {
    const model = createCcfLinearModel({ vcpus: 2 });
    const source = estimateSource(model, 0, 'test');
    expect(source.sample(500, { deltaBusyTicks: 50, deltaTotalTicks: 100 })).toEqual([{ key: 'estimate', deltaJoules: model.powerWatts(0.5) * 0.5 }]);
    expect(source.sample(1500, null)).toEqual([{ key: 'estimate', deltaJoules: null }]);
    expect(source.sample(2500, { deltaBusyTicks: 0, deltaTotalTicks: 0 })).toEqual([{ key: 'estimate', deltaJoules: null }]);
  });
});
