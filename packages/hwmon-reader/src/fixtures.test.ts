// Every tree in tools/fixtures/hwmon/ is a case here: the exporter must serve its `expect` values.
import { hwmonTreeNames, loadHwmonTree, materializeHwmonTree, type MaterializedHwmonTree } from '@proj/fixtures';
import { afterAll, describe, expect, it } from 'vitest';
import { openHwmon } from './hwmon.js';

const trees: MaterializedHwmonTree[] = [];
afterAll(() => {
  for (const tree of trees.splice(0)) tree.remove();
});

describe.each(hwmonTreeNames())('%s', (name) => {
  const tree = materializeHwmonTree(name);
  trees.push(tree);
  const expected = loadHwmonTree(name).expect;
  const hwmon = openHwmon({ sysfsRoot: tree.root });
  const discovery = hwmon.discover();
  const { readings, failures } = hwmon.read(discovery.sensors);

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

  it('keys every sensor apart, and every series apart by its labels', () => {
    expect(new Set(discovery.sensors.map((sensor) => sensor.key)).size).toBe(discovery.sensors.length);
    const labels = discovery.sensors.map((sensor) => [sensor.chip.chip, sensor.sensor, sensor.label, sensor.chip.duplicateName ? sensor.chip.device : ''].join('\u0000'));
    expect(new Set(labels).size).toBe(labels.length);
  });
});
