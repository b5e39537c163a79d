import { loadPowercapTree, materializePowercapTree, powercapTreeNames, type MaterializedTree } from '@proj/fixtures';
import { afterEach, describe, expect, it } from 'vitest';
import { discoverZones } from './discover.js';
import { readEnergy } from './read.js';
import { nodeSysfsIo, type SysfsIo } from './sysfs.js';

const trees: MaterializedTree[] = [];
const materialize = (name: string): MaterializedTree => {
  const tree = materializePowercapTree(name);
  trees.push(tree);
  return tree;
};
afterEach(() => {
  while (trees.length > 0) trees.pop()!.remove();
});

describe.each(powercapTreeNames())('fixture tree %s', (name) => {
  const { expect: expected } = loadPowercapTree(name);

  it('yields exactly the expected zones, each once, with their labels, range and energy', async () => {
    const tree = materialize(name);
    const discovery = await discoverZones({ sysfsRoot: tree.root });
    expect(discovery.error).toBeUndefined();
    const { readings } = await readEnergy(discovery.zones);
    const got = readings.map(({ zone, energyUj }) => ({
      zone: zone.zone,
      ...(zone.package === undefined ? {} : { package: zone.package }),
      path: zone.id,
      max_energy_range_uj: zone.maxEnergyRangeUj,
      energy_uj: energyUj,
    }));
    const byPath = (a: { path: string }, b: { path: string }) => a.path.localeCompare(b.path);
    expect(got.sort(byPath)).toEqual([...expected.zones].sort(byPath));
  });

  it('sets aside what it must, as data', async () => {
    const tree = materialize(name);
    const discovery = await discoverZones({ sysfsRoot: tree.root });
    const { failures } = await readEnergy(discovery.zones);
    expect(discovery.notExported.map((z) => z.id).sort()).toEqual([...(expected.not_exported ?? [])].sort());
    expect(failures.map((f) => f.zone.id).sort()).toEqual([...(expected.unreadable ?? [])].sort());
    expect(discovery.ignored.map((z) => z.id).sort()).toEqual([...(expected.ignored ?? [])].sort());
    for (const failure of failures) expect(failure.error.reason).toBe('parse_error');
  });
});

describe('discoverZones', () => {
  it('treats a missing powercap class as no zones, not an error', async () => {
    const discovery = await discoverZones({ sysfsRoot: '/nonexistent-sysfs-root' });
    expect(discovery).toEqual({ zones: [], ignored: [], notExported: [], collisions: [] });
  });

  it('reports an unlistable powercap class as an error beside no zones', async () => {
    const io: SysfsIo = {
      ...nodeSysfsIo,
      readdir: () => {
        throw Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
      },
    };
    const discovery = await discoverZones({ sysfsRoot: '/sys', io });
    expect(discovery.zones).toEqual([]);
    expect(discovery.error?.reason).toBe('permission_denied');
  });

  it('finds subzones that only live inside their parent directory', async () => {
    const tree = materialize('xeon-2socket-dram');
    // Drop the class/ symlinks of the subzones: the parents' directories still hold them.
    const base = loadPowercapTree('xeon-2socket-dram');
    const symlinks = Object.fromEntries(Object.entries(base.symlinks).filter(([path]) => !/:\d+:\d+$/.test(path)));
    const sparse = materializePowercapTree({ ...base, name: 'sparse', symlinks });
    trees.push(sparse);
    const ids = async (root: string) => (await discoverZones({ sysfsRoot: root })).zones.map((z) => `${z.id}=${z.zone}/${z.package}`).sort();
    expect(await ids(sparse.root)).toEqual(await ids(tree.root));
    expect(await ids(sparse.root)).toContain('intel-rapl:1:0=dram/1');
  });

  it('keeps distinct zones whose names give the same label apart, and says so', async () => {
    const base = loadPowercapTree('intel-laptop-psys-symlinks');
    const files = { ...base.files };
    const symlinks = { ...base.symlinks };
    // A second top-level zone named PSYS, and two whose non-ASCII names both become `_`.
    const add = (id: string, name: string) => {
      files[`devices/virtual/powercap/intel-rapl/${id}/name`] = `${name}\n`;
      files[`devices/virtual/powercap/intel-rapl/${id}/energy_uj`] = '1000\n';
      files[`devices/virtual/powercap/intel-rapl/${id}/max_energy_range_uj`] = '262143328850\n';
      symlinks[`class/powercap/${id}`] = `../../devices/virtual/powercap/intel-rapl/${id}`;
    };
    add('intel-rapl:2', 'PSYS');
    add('intel-rapl:3', 'äö');
    add('intel-rapl:4', 'ü');
    const tree = materializePowercapTree({ ...base, name: 'colliding', files, symlinks });
    trees.push(tree);
    const discovery = await discoverZones({ sysfsRoot: tree.root });
    const byId = new Map(discovery.zones.map((z) => [z.id, z.zone]));
    expect(byId.get('intel-rapl:1')).toBe('psys');
    expect(byId.get('intel-rapl:2')).toBe('psys_intel_rapl_2');
    expect(byId.get('intel-rapl:3')).toBe('_');
    expect(byId.get('intel-rapl:4')).toBe('__intel_rapl_4');
    expect(discovery.notExported).toEqual([]);
    expect(discovery.collisions).toEqual([
      { id: 'intel-rapl:2', zone: 'psys_intel_rapl_2', collidesWith: 'intel-rapl:1' },
      { id: 'intel-rapl:4', zone: '__intel_rapl_4', collidesWith: 'intel-rapl:3' },
    ]);
    expect(new Set(byId.values()).size).toBe(discovery.zones.length);
  });

  it('explains why a zone has no usable range', async () => {
    const tree = materialize('malformed-values');
    const { zones } = await discoverZones({ sysfsRoot: tree.root });
    const byId = new Map(zones.map((z) => [z.id, z]));
    expect(byId.get('intel-rapl:1')?.maxEnergyRangeError?.reason).toBe('parse_error');
    expect(byId.get('intel-rapl:2')?.maxEnergyRangeError?.reason).toBe('parse_error');
    expect(byId.get('intel-rapl:3')?.maxEnergyRangeError?.reason).toBe('not_found');
    expect(byId.get('intel-rapl:0')?.maxEnergyRangeError).toBeUndefined();
  });
});
