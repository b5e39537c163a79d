import { materializePowercapTree } from '@proj/fixtures';
import { afterAll, describe, expect, it } from 'vitest';
import { RaplReadError } from './errors.js';
import { openPowercap } from './powercap.js';

const tree = materializePowercapTree('amd-epyc-7401p');
afterAll(() => tree.remove());

describe('openPowercap', () => {
  it('owns the class directory of its root, and discovers and reads through it', () => {
    const powercap = openPowercap({ sysfsRoot: tree.root });
    expect(powercap.classDir).toBe(`${tree.root}/class/powercap`);
    const { zones } = powercap.discover();
    expect(zones.map((z) => z.zone)).toEqual(tree.tree.expect.zones.map((z) => z.zone));
    const { readings, failures } = powercap.read(zones, () => 42);
    expect(failures).toEqual([]);
    expect(readings.map((r) => [r.energyUj, r.atMs])).toEqual(tree.tree.expect.zones.map((z) => [z.energy_uj, 42]));
  });

  it('refuses a root that cannot be listed, naming it', () => {
    const error = (() => {
      try {
        openPowercap({ sysfsRoot: `${tree.root}/nonexistent` });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(RaplReadError);
    expect((error as RaplReadError).reason).toBe('not_found');
  });

  it('finds no zones, and no error, under a root without a powercap class', () => {
    const bare = materializePowercapTree('no-powercap');
    try {
      expect(openPowercap({ sysfsRoot: bare.root }).discover()).toMatchObject({ zones: [] });
    } finally {
      bare.remove();
    }
  });
});
