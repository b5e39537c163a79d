import { join } from 'node:path';
import { discoverZones, type PowercapZone, type ZoneDiscovery } from './discover.js';
import { toReadError } from './errors.js';
import { readEnergy, type EnergyRead } from './read.js';
import { nodeSysfsIo, type SysfsIo } from './sysfs.js';

/** Options for openPowercap. */
export interface OpenPowercapOptions {
  /** The sysfs mount point; `/sys` on a host, a fixture tree in tests. */
  readonly sysfsRoot?: string;
  readonly io?: SysfsIo;
}

/** The powercap class of one sysfs root: what callers use instead of joining paths themselves. */
export interface Powercap {
  readonly sysfsRoot: string;
  /** `<sysfsRoot>/class/powercap`, for messages. */
  readonly classDir: string;
  /**
   * Finds the zones (discoverZones on this root). A root that cannot be listed is reported as `error` (a
   * RaplReadError naming the root) beside no zones, as a class directory that cannot be listed is.
   */
  discover(): Promise<ZoneDiscovery>;
  /** Reads `energy_uj` of `zones` (readEnergy with this root's io); `now` is the monotonic clock of the readings. */
  read(zones: readonly PowercapZone[], now?: () => number): Promise<EnergyRead>;
}

/**
 * Opens the powercap class under a sysfs root, as procfs's `NewFS(mountPoint)` does: the root is a value and the
 * handle owns the class directory. Opening reads nothing: every read is asynchronous (see SysfsIo), and a wrong root
 * is reported by each discover() as its `error`. A root without a powercap class is fine: discovery then finds no
 * zones.
 */
export function openPowercap(options: OpenPowercapOptions = {}): Powercap {
  const sysfsRoot = options.sysfsRoot ?? '/sys';
  const io = options.io ?? nodeSysfsIo;
  return {
    sysfsRoot,
    classDir: join(sysfsRoot, 'class', 'powercap'),
    async discover() {
      try {
        await io.readdir(sysfsRoot);
      } catch (error) {
        return { zones: [], ignored: [], notExported: [], collisions: [], error: toReadError(sysfsRoot, error) };
      }
      return discoverZones({ sysfsRoot, io });
    },
    read: (zones, now) => readEnergy(zones, now === undefined ? { io } : { io, now }),
  };
}
