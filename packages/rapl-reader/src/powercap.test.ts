import { materializePowercapTree } from '@proj/fixtures';
import { afterAll, describe, expect, it } from 'vitest';
import { RaplReadError } from './errors.js';
import { openPowercap } from './powercap.js';
import { nodeSysfsIo, type SysfsIo } from './sysfs.js';

const tree = materializePowercapTree('amd-epyc-7401p');
afterAll(() => tree.remove());

describe('openPowercap', () => {
  it('owns the class directory of its root, and discovers and reads through it', async () => {
    const powercap = openPowercap({ sysfsRoot: tree.root });
    expect(powercap.classDir).toBe(`${tree.root}/class/powercap`);
    const { zones } = await powercap.discover();
    expect(zones.map((z) => z.zone)).toEqual(tree.tree.expect.zones.map((z) => z.zone));
    const { readings, failures } = await powercap.read(zones, () => 42);
    expect(failures).toEqual([]);
    expect(readings.map((r) => [r.energyUj, r.atMs])).toEqual(tree.tree.expect.zones.map((z) => [z.energy_uj, 42]));
  });

  it('opens without reading, and reports a root that cannot be listed as the error of discover(), naming it', async () => {
    const root = `${tree.root}/nonexistent`;
    const calls: string[] = [];
    const io: SysfsIo = {
      readFile: (path) => (calls.push(path), nodeSysfsIo.readFile(path)),
      readdir: (path) => (calls.push(path), nodeSysfsIo.readdir(path)),
      realpath: (path) => (calls.push(path), nodeSysfsIo.realpath(path)),
    };
    const powercap = openPowercap({ sysfsRoot: root, io });
    expect(calls).toEqual([]);
    const discovery = await powercap.discover();
    expect(discovery.zones).toEqual([]);
    expect(discovery.error).toBeInstanceOf(RaplReadError);
    expect(discovery.error?.reason).toBe('not_found');
    expect(discovery.error?.message).toContain(root);
  });

  it('finds no zones, and no error, under a root without a powercap class', async () => {
    const bare = materializePowercapTree('no-powercap');
    try {
      const discovery = await openPowercap({ sysfsRoot: bare.root }).discover();
      expect(discovery).toEqual({ zones: [], ignored: [], notExported: [], collisions: [] });
    } finally {
      bare.remove();
    }
  });
});
