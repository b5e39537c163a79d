import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { materializePowercapTree, type MaterializedTree } from '@proj/fixtures';
import { advanceCounter, createEnergyWriter, loadFactor, nominalPowerWatts } from './energy-writer.js';

describe('advanceCounter', () => {
  it('adds below the range and wraps past it the way (max - prev) + cur undoes', () => {
    expect(advanceCounter(100, 50, 1_000)).toEqual({ energyUj: 150, wraps: 0 });
    expect(advanceCounter(1_000, 0, 1_000)).toEqual({ energyUj: 1_000, wraps: 0 });
    const wrapped = advanceCounter(900, 250, 1_000);
    expect(wrapped).toEqual({ energyUj: 150, wraps: 1 });
    // rapl-reader's wrapDelta: (max - prev) + cur gives the delta back
    expect(1_000 - 900 + wrapped.energyUj).toBe(250);
    expect(advanceCounter(900, 2_150, 1_000)).toEqual({ energyUj: 50, wraps: 3 });
  });

  it('never wraps without a range', () => {
    expect(advanceCounter(2 ** 40, 10, null)).toEqual({ energyUj: 2 ** 40 + 10, wraps: 0 });
  });
});

describe('power model', () => {
  it('keeps core and uncore below their package and psys above it, at every load', () => {
    for (const t of [0, 22.5, 45, 67.5]) {
      const f = loadFactor(t);
      expect(f).toBeGreaterThanOrEqual(0.7 - 1e-9);
      expect(f).toBeLessThanOrEqual(1.3 + 1e-9);
    }
    expect(nominalPowerWatts('core') + nominalPowerWatts('uncore')).toBeLessThan(nominalPowerWatts('package_0'));
    expect(nominalPowerWatts('psys')).toBeGreaterThan(nominalPowerWatts('package_0'));
    expect(nominalPowerWatts('package_0_die_1')).toBeLessThan(nominalPowerWatts('package_0'));
  });
});

describe('createEnergyWriter', () => {
  let tree: MaterializedTree | undefined;
  afterEach(() => tree?.remove());

  const read = (id: string) => Number(readFileSync(join(tree!.zoneDir(id), 'energy_uj'), 'utf8'));

  it('moves energy_uj at the model power, keeps the exact total, and pauses', () => {
    tree = materializePowercapTree('intel-laptop-psys-symlinks');
    let now = 0;
    const writer = createEnergyWriter({
      sysfsRoot: tree.root,
      zones: [{ id: 'intel-rapl:0', zone: 'package_0', maxEnergyRangeUj: 262143328850 }],
      now: () => now,
      powerWatts: () => 10,
    });
    const start = read('intel-rapl:0');
    now = 1_500;
    writer.tick();
    expect(read('intel-rapl:0') - start).toBe(15_000_000); // 10 W for 1.5 s
    writer.pause();
    now = 5_000;
    writer.tick();
    expect(writer.state('intel-rapl:0')).toMatchObject({ totalUj: 15_000_000, wraps: 0, powerWatts: 10 });
    writer.resume();
    now = 5_250;
    writer.tick();
    expect(writer.state('intel-rapl:0').totalUj).toBe(17_500_000);
  });

  it('wraps at max_energy_range_uj while the total keeps rising', () => {
    tree = materializePowercapTree('amd-epyc-7401p');
    const max = 65532610987;
    tree.setEnergyUj('intel-rapl:0', max - 1_000_000);
    let now = 0;
    const writer = createEnergyWriter({ sysfsRoot: tree.root, zones: [{ id: 'intel-rapl:0', zone: 'package_0', maxEnergyRangeUj: max }], now: () => now });
    writer.setPowerWatts('intel-rapl:0', 200);
    now = 100; // 20 J: far past the 1 J left
    writer.tick();
    expect(writer.state('intel-rapl:0')).toMatchObject({ energyUj: 19_000_000, totalUj: 20_000_000, wraps: 1 });
    expect(read('intel-rapl:0')).toBe(19_000_000);
  });

  it('refuses a zone it does not drive', () => {
    tree = materializePowercapTree('amd-epyc-7401p');
    const writer = createEnergyWriter({ sysfsRoot: tree.root, zones: [] });
    expect(() => writer.state('intel-rapl:0')).toThrow(/does not drive/);
  });
});
