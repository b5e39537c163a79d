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
  /** Finds the zones (discoverZones on this root). */
  discover(): ZoneDiscovery;
  /** Reads `energy_uj` of `zones` (readEnergy with this root's io); `now` is the monotonic clock of the readings. */
  read(zones: readonly PowercapZone[], now?: () => number): EnergyRead;
}

/**
 * Opens the powercap class under a sysfs root, as procfs's `NewFS(mountPoint)` does: the root is a value, checked
 * once here (throws a RaplReadError when it cannot be listed: a wrong root is a mistake to report at once), and the
 * handle owns the class directory. A root without a powercap class is fine: discovery then finds no zones.
 */
export function openPowercap(options: OpenPowercapOptions = {}): Powercap {
  const sysfsRoot = options.sysfsRoot ?? '/sys';
  const io = options.io ?? nodeSysfsIo;
  try {
    io.readdir(sysfsRoot);
  } catch (error) {
    throw toReadError(sysfsRoot, error);
  }
  return {
    sysfsRoot,
    classDir: join(sysfsRoot, 'class', 'powercap'),
    discover: () => discoverZones({ sysfsRoot, io }),
    read: (zones, now) => readEnergy(zones, now === undefined ? { io } : { io, now }),
  };
}
