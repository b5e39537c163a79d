import { materializePowercapTree, type MaterializedTree } from '@proj/fixtures';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { discoverZones } from './discover.js';
import { RaplReadError } from './errors.js';
import { readEnergy } from './read.js';
import { nodeSysfsIo, type SysfsIo } from './sysfs.js';

let tree: MaterializedTree;
beforeEach(() => {
  tree = materializePowercapTree('intel-laptop-psys-symlinks');
});
afterEach(() => tree.remove());

/** node:fs, except that files whose path ends with one of `paths` throw `code`. */
function failing(code: string, ...paths: string[]): SysfsIo {
  return {
    ...nodeSysfsIo,
    readFile(path) {
      if (paths.some((p) => path.endsWith(p))) throw Object.assign(new Error(`${code}: injected, open '${path}'`), { code });
      return nodeSysfsIo.readFile(path);
    },
  };
}

describe('readEnergy', () => {
  it('skips a zone that answers EACCES and reads the others', () => {
    const zones = discoverZones({ sysfsRoot: tree.root }).zones;
    const { readings, failures } = readEnergy(zones, { io: failing('EACCES', 'intel-rapl:0:1/energy_uj') });
    expect(readings.map((r) => r.zone.id).sort()).toEqual(['intel-rapl:0', 'intel-rapl:0:0', 'intel-rapl:0:2', 'intel-rapl:1']);
    expect(failures).toHaveLength(1);
    const [failure] = failures;
    expect(failure!.zone.zone).toBe('uncore');
    expect(failure!.error).toBeInstanceOf(RaplReadError);
    expect(failure!.error.reason).toBe('permission_denied');
    expect((failure!.error as RaplReadError).code).toBe('EACCES');
    expect(failure!.error.message).toContain('root');
  });

  it.each([
    ['ENOENT', 'not_found'],
    ['EIO', 'io_error'],
    ['ENODATA', 'no_data'],
    ['EBUSY', 'other'],
  ])('reports %s as reason %s', (code, reason) => {
    const zones = discoverZones({ sysfsRoot: tree.root }).zones;
    const { readings, failures } = readEnergy(zones, { io: failing(code, 'intel-rapl:1/energy_uj') });
    expect(readings).toHaveLength(4);
    expect(failures.map((f) => [f.zone.zone, f.error.reason])).toEqual([['psys', reason]]);
  });

  it('stamps each reading with the monotonic clock given', () => {
    const zones = discoverZones({ sysfsRoot: tree.root }).zones;
    let t = 1000;
    const { readings } = readEnergy(zones, { now: () => (t += 0.5) });
    expect(readings.map((r) => r.atMs)).toEqual([1000.5, 1001, 1001.5, 1002, 1002.5]);
  });
});
