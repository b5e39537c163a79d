import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { PowercapZone } from './discover.js';
import { RaplError, toReadError } from './errors.js';
import { parseMicrojoules } from './parse.js';
import { nodeSysfsIo, type SysfsIo } from './sysfs.js';

/** One zone's counter as read, with the monotonic time of the read. */
export interface ZoneReading {
  readonly zone: PowercapZone;
  readonly energyUj: number;
  /** Monotonic milliseconds (performance.now() by default) taken right after this zone's read resolved. */
  readonly atMs: number;
}

/** A zone whose counter could not be read this time. */
export interface ZoneReadFailure {
  readonly zone: PowercapZone;
  readonly error: RaplError;
}

/** The result of reading every zone once: the readings and, beside them, the failures. */
export interface EnergyRead {
  readonly readings: ZoneReading[];
  readonly failures: ZoneReadFailure[];
}

/** Options for readEnergy. */
export interface ReadEnergyOptions {
  readonly io?: SysfsIo;
  /** Monotonic clock in milliseconds; performance.now by default. */
  readonly now?: () => number;
}

/** Reads one zone's `energy_uj`. Rejects with a RaplError (read or parse) naming the file. */
export async function readZoneEnergyUj(zone: PowercapZone, io: SysfsIo = nodeSysfsIo): Promise<number> {
  const file = join(zone.dir, 'energy_uj');
  let text: string;
  try {
    text = await io.readFile(file);
  } catch (error) {
    throw toReadError(file, error);
  }
  return parseMicrojoules(text, file);
}

/**
 * Reads `energy_uj` of every zone. One zone's failure (EACCES, ENOENT, EIO, ENODATA, a malformed value) is
 * returned as data beside the zones that worked; it never stops the others from being read.
 *
 * The zones are read one after another, not all at once: a read stuck in the kernel then holds one pool thread
 * instead of one per zone, and each reading is stamped right after its own read, so that the time between two
 * readings of a zone is the time between its reads.
 */
export async function readEnergy(zones: readonly PowercapZone[], options: ReadEnergyOptions = {}): Promise<EnergyRead> {
  const io = options.io ?? nodeSysfsIo;
  const now = options.now ?? (() => performance.now());
  const readings: ZoneReading[] = [];
  const failures: ZoneReadFailure[] = [];
  for (const zone of zones) {
    try {
      const energyUj = await readZoneEnergyUj(zone, io);
      readings.push({ zone, energyUj, atMs: now() });
    } catch (error) {
      failures.push({ zone, error: error instanceof RaplError ? error : toReadError(zone.dir, error) });
    }
  }
  return { readings, failures };
}
