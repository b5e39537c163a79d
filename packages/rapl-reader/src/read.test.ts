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
  it('skips a zone that answers EACCES and reads the others', async () => {
    const { zones } = await discoverZones({ sysfsRoot: tree.root });
    const { readings, failures } = await readEnergy(zones, { io: failing('EACCES', 'intel-rapl:0:1/energy_uj') });
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
  ])('reports %s as reason %s', async (code, reason) => {
    const { zones } = await discoverZones({ sysfsRoot: tree.root });
    const { readings, failures } = await readEnergy(zones, { io: failing(code, 'intel-rapl:1/energy_uj') });
    expect(readings).toHaveLength(4);
    expect(failures.map((f) => [f.zone.zone, f.error.reason])).toEqual([['psys', reason]]);
  });

  it('stamps each reading with the monotonic clock given', async () => {
    const { zones } = await discoverZones({ sysfsRoot: tree.root });
    let t = 1000;
    const { readings } = await readEnergy(zones, { now: () => (t += 0.5) });
    expect(readings.map((r) => r.atMs)).toEqual([1000.5, 1001, 1001.5, 1002, 1002.5]);
  });
});

describe('readEnergy on an io that answers later', () => {
  /** An io whose reads stay pending until the test answers them, in the order they were asked. */
  function gatedIo() {
    const pending: { path: string; answer: (text: string) => void }[] = [];
    const io: SysfsIo = {
      readFile: (path) => new Promise<string>((resolve) => pending.push({ path, answer: resolve })),
      readdir: () => [],
      realpath: (path) => path,
    };
    return { io, pending };
  }
  const zone = (id: string) => ({ id, name: id, zone: id, package: undefined, dir: `/fake/${id}`, maxEnergyRangeUj: null });
  /** Lets every promise callback queued so far run (the reader's continuation after an answer). */
  const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

  it('reads one zone at a time, stamping each reading when its own read answered', async () => {
    const { io, pending } = gatedIo();
    const zones = ['intel-rapl:0', 'intel-rapl:0:0', 'intel-rapl:1'].map(zone);
    let clock = 0;
    const result = readEnergy(zones, { io, now: () => clock });
    const asked: string[] = [];
    for (const [i, z] of zones.entries()) {
      await settle();
      // Only the zone in turn has been asked for: the next is asked once this one has answered.
      expect(pending.map((p) => p.path)).toEqual([`${z.dir}/energy_uj`]);
      asked.push(pending[0]!.path);
      clock = 100 * (i + 1);
      pending.shift()!.answer(`${1000 * (i + 1)}\n`);
    }
    const { readings, failures } = await result;
    expect(failures).toEqual([]);
    expect(asked).toEqual(zones.map((z) => `${z.dir}/energy_uj`));
    expect(readings.map((r) => [r.zone.id, r.energyUj, r.atMs])).toEqual([
      ['intel-rapl:0', 1000, 100],
      ['intel-rapl:0:0', 2000, 200],
      ['intel-rapl:1', 3000, 300],
    ]);
  });

  it('reports a rejected read as that zone\'s failure and goes on to the next', async () => {
    const zones = ['intel-rapl:0', 'intel-rapl:1'].map(zone);
    const io: SysfsIo = {
      readFile: async (path) => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        if (path.includes('intel-rapl:0/')) throw Object.assign(new Error(`EIO: injected, read '${path}'`), { code: 'EIO' });
        return '77\n';
      },
      readdir: () => [],
      realpath: (path) => path,
    };
    const { readings, failures } = await readEnergy(zones, { io, now: () => 1 });
    expect(readings.map((r) => [r.zone.id, r.energyUj])).toEqual([['intel-rapl:1', 77]]);
    expect(failures.map((f) => [f.zone.id, f.error.reason])).toEqual([['intel-rapl:0', 'io_error']]);
  });
});
