// Every tree in tools/fixtures/hwmon/ is a case here: the exporter must serve its `expect` values.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hwmonFixtureDir, hwmonTreeNames, loadHwmonTree, materializeHwmonTree, type MaterializedHwmonTree } from '@proj/fixtures';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openHwmon, type HwmonDiscovery, type HwmonRead } from './hwmon.js';

const trees: MaterializedHwmonTree[] = [];
afterAll(() => {
  for (const tree of trees.splice(0)) tree.remove();
});

// The `sensors` outputs the trees were made from, as printed (sensors scales units: mW, W, J, kJ).
const capturesDir = join(hwmonFixtureDir, 'captures');
const SCALE: Record<string, number> = { mW: 1e-3, W: 1, kW: 1e3, MW: 1e6, mJ: 1e-3, J: 1, kJ: 1e3, MJ: 1e6 };
const captured = readdirSync(capturesDir)
  .filter((file) => file.endsWith('.txt') && !file.endsWith('.note.txt'))
  .map((file) =>
    [...readFileSync(join(capturesDir, file), 'utf8').matchAll(/^([^:\n]+):\s+([\d.]+) (mW|W|kW|MW|mJ|J|kJ|MJ)\b/gm)].map((match) => ({
      label: match[1]!.trim(),
      value: Number(match[2]) * SCALE[match[3]!]!,
      // sensors prints two decimals: the value is known to half a unit of the last one.
      tolerance: 0.005 * SCALE[match[3]!]!,
    })),
  );

describe.each(hwmonTreeNames())('%s', (name) => {
  const tree = materializeHwmonTree(name);
  trees.push(tree);
  const expected = loadHwmonTree(name).expect;
  const hwmon = openHwmon({ sysfsRoot: tree.root });
  let discovery: HwmonDiscovery;
  let readings: HwmonRead['readings'];
  let failures: HwmonRead['failures'];
  beforeAll(async () => {
    discovery = await hwmon.discover();
    ({ readings, failures } = await hwmon.read(discovery.sensors));
  });

  it('discovers every chip and sets nothing aside', () => {
    const chipCount = Object.keys(tree.tree.symlinks).filter((path) => /^class\/hwmon\/hwmon\d+$/.test(path)).length;
    expect(discovery.chips).toHaveLength(chipCount);
    expect(discovery.ignored).toEqual([]);
    expect(discovery.error).toBeUndefined();
    expect(failures).toEqual([]);
  });

  it('serves the power sensors of `expect.power`, in watts, with their labels (and device where names repeat)', () => {
    const power = readings.flatMap((reading) =>
      reading.kind === 'power'
        ? [
            {
              chip: reading.sensor.chip.chip,
              sensor: reading.sensor.sensor,
              label: reading.sensor.label,
              watts: reading.powerWatts,
              ...(reading.sensor.averageIntervalMs === undefined ? {} : { interval_seconds: reading.sensor.averageIntervalMs / 1000 }),
              ...(reading.sensor.chip.duplicateName ? { device: reading.sensor.chip.device } : {}),
            },
          ]
        : [],
    );
    expect(power).toEqual(expected.power);
  });

  it('serves the energy counters of `expect.energy`, in joules', () => {
    const energy = readings.flatMap((reading) =>
      reading.kind === 'energy' ? [{ chip: reading.sensor.chip.chip, sensor: reading.sensor.sensor, label: reading.sensor.label, joules: reading.energyUj / 1e6 }] : [],
    );
    expect(energy).toEqual(expected.energy);
  });

  it('names the counter that stands for the CPU package, and only that one', () => {
    const sockets = discovery.sensors.filter((sensor) => sensor.socket !== undefined);
    if (expected.cpu_attribution === undefined) {
      expect(sockets).toEqual([]);
      return;
    }
    expect(sockets).toHaveLength(1);
    const [socket] = sockets;
    expect(expected.cpu_attribution.source).toBe('hwmon');
    expect(socket!.socket?.zone).toBe(expected.cpu_attribution.zone);
    expect(`${socket!.chip.chip} ${socket!.sensor} (${socket!.label})`).toBe(expected.cpu_attribution.from);
  });

  it("agrees with the `sensors` output it was made from (units as sensors scaled them)", () => {
    const wanted = [
      ...expected.power.map((item) => ({ label: item.label || item.sensor, value: item.watts })),
      ...expected.energy.map((item) => ({ label: item.label || item.sensor, value: item.joules })),
    ];
    const matches = (lines: (typeof captured)[number]) =>
      wanted.every((item) => lines.some((line) => line.label === item.label && Math.abs(line.value - item.value) <= line.tolerance + 1e-9));
    expect(captured.some(matches)).toBe(true);
  });

  it('keys every sensor apart, and every series apart by its labels', () => {
    expect(new Set(discovery.sensors.map((sensor) => sensor.key)).size).toBe(discovery.sensors.length);
    const labels = discovery.sensors.map((sensor) => [sensor.chip.chip, sensor.sensor, sensor.label, sensor.chip.duplicateName ? sensor.chip.device : ''].join('\u0000'));
    expect(new Set(labels).size).toBe(labels.length);
  });
});
