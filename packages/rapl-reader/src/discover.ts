import { join } from 'node:path';
import { RaplError, toReadError } from './errors.js';
import { packageIndexOf, parentZoneId, parseMicrojoules, parseZoneId, parseZoneName, zoneLabel } from './parse.js';
import { nodeSysfsIo, type SysfsIo } from './sysfs.js';

/** One RAPL zone, exported once. */
export interface PowercapZone {
  /** The sysfs directory name, e.g. `intel-rapl:0:1`. */
  readonly id: string;
  /** The raw `name` file, e.g. `package-0`, `dram`. */
  readonly name: string;
  /** The `zone` label value: the name lower-cased with runs outside [a-z0-9] turned into `_`. */
  readonly zone: string;
  /** The socket index of the zone's package (`"0"`), or undefined for zones outside any package (`psys`). */
  readonly package: string | undefined;
  /** The directory its files are read from. */
  readonly dir: string;
  /** The counter's range in microjoules, or null when `max_energy_range_uj` is missing or unusable. */
  readonly maxEnergyRangeUj: number | null;
  /** Why `maxEnergyRangeUj` is null, when it is. */
  readonly maxEnergyRangeError?: RaplError;
}

/** What discovery found: the zones to export, and what it set aside, as data. */
export interface ZoneDiscovery {
  readonly zones: PowercapZone[];
  /** Directories that look like zones but cannot be one (no readable `name`). */
  readonly ignored: { readonly id: string; readonly error: RaplError }[];
  /** Zones left out because another zone measures the same thing (`intel-rapl-mmio:0` beside `intel-rapl:0`). */
  readonly notExported: { readonly id: string; readonly duplicateOf: string }[];
  /**
   * Distinct zones whose names give the same labels (`PSYS` and `psys`; two non-ASCII names that both become `_`).
   * Each is still exported: every one after the first gets its sysfs id appended to its `zone` label
   * (`psys_intel_rapl_2`), and is listed here so that /health can say so.
   */
  readonly collisions: { readonly id: string; readonly zone: string; readonly collidesWith: string }[];
  /** Set when the powercap class directory exists but cannot be listed. A missing directory is not an error. */
  readonly error?: RaplError;
}

/** Options for discoverZones. */
export interface DiscoverOptions {
  /** The sysfs mount point; `/sys` on a host. */
  readonly sysfsRoot?: string;
  readonly io?: SysfsIo;
}

interface Candidate {
  readonly id: string;
  readonly dir: string;
}

/**
 * Finds every RAPL zone under `<sysfsRoot>/class/powercap`, in both layouts seen in the wild (symlinks into
 * `devices/virtual/powercap/`, or plain directories), including subzones nested in their parent's directory.
 * Each physical zone is returned once: directories are deduplicated by their real path, and an
 * `intel-rapl-mmio` zone is dropped when an `intel-rapl` zone has the same name and package. Files are read one
 * at a time, each on the thread pool (see SysfsIo): a stuck mount holds one pool thread, not all of them.
 */
export async function discoverZones(options: DiscoverOptions = {}): Promise<ZoneDiscovery> {
  const io = options.io ?? nodeSysfsIo;
  const classDir = join(options.sysfsRoot ?? '/sys', 'class', 'powercap');
  const ignored: { id: string; error: RaplError }[] = [];
  const notExported: { id: string; duplicateOf: string }[] = [];
  const collisions: { id: string; zone: string; collidesWith: string }[] = [];

  let entries: string[];
  try {
    entries = await io.readdir(classDir);
  } catch (error) {
    const readError = toReadError(classDir, error);
    // No powercap class at all (VMs, ARM boards, masked containers) is a normal "no data" outcome.
    if (readError.reason === 'not_found') return { zones: [], ignored, notExported, collisions };
    return { zones: [], ignored, notExported, collisions, error: readError };
  }

  const candidates = await collectCandidates(io, classDir, entries, ignored);

  const named: { candidate: Candidate; name: string }[] = [];
  for (const candidate of candidates) {
    const nameFile = join(candidate.dir, 'name');
    try {
      named.push({ candidate, name: parseZoneName(await io.readFile(nameFile), nameFile) });
    } catch (error) {
      ignored.push({ id: candidate.id, error: error instanceof RaplError ? error : toReadError(nameFile, error) });
    }
  }

  const nameById = new Map(named.map(({ candidate, name }) => [candidate.id, name]));
  const zones: PowercapZone[] = [];
  const exportedByLabels = new Map<string, PowercapZone>();
  // intel-rapl zones first, so that an mmio zone is the one dropped when both measure the same package.
  const ordered = [...named].sort((a, b) => compareZoneIds(a.candidate.id, b.candidate.id));
  const labelsOf = (zone: PowercapZone) => `${zone.zone}\u0000${zone.package ?? ''}`;
  for (const { candidate, name } of ordered) {
    let zone = await buildZone(io, candidate, name, packageOf(candidate.id, nameById));
    const twin = exportedByLabels.get(labelsOf(zone));
    if (twin && isMmioTwin(zone, twin)) {
      notExported.push({ id: zone.id, duplicateOf: twin.id });
      continue;
    }
    if (twin) {
      // Another zone, not a second view of the same one: keep it, apart.
      zone = { ...zone, zone: `${zone.zone}_${zoneLabel(zone.id)}` };
      collisions.push({ id: zone.id, zone: zone.zone, collidesWith: twin.id });
    }
    exportedByLabels.set(labelsOf(zone), zone);
    zones.push(zone);
  }
  return { zones, ignored, notExported, collisions };
}

/** The same package seen through a second control type (`intel-rapl-mmio:0` beside `intel-rapl:0`): one zone. */
function isMmioTwin(zone: PowercapZone, twin: PowercapZone): boolean {
  return zone.name === twin.name && parseZoneId(zone.id)?.control !== parseZoneId(twin.id)?.control;
}

async function collectCandidates(
  io: SysfsIo,
  classDir: string,
  entries: string[],
  ignored: { id: string; error: RaplError }[],
): Promise<Candidate[]> {
  const byRealPath = new Map<string, Candidate>();
  // One call at a time, in order: the first path to a real directory is the one kept, as before.
  const visit = async (id: string, dir: string, depth: number): Promise<void> => {
    let real: string;
    try {
      real = await io.realpath(dir);
    } catch (error) {
      ignored.push({ id, error: toReadError(dir, error) });
      return;
    }
    if (byRealPath.has(real)) return;
    byRealPath.set(real, { id, dir });
    // Subzones also live inside their parent's directory; the class directory may not list them all.
    if (depth >= 4) return;
    let children: string[];
    try {
      children = await io.readdir(dir);
    } catch {
      return; // the zone's own files are read later, and report the problem then
    }
    for (const child of children) {
      if (child.startsWith(`${id}:`) && parseZoneId(child)) await visit(child, join(dir, child), depth + 1);
    }
  };
  for (const entry of [...entries].sort(compareZoneIds)) {
    if (parseZoneId(entry)) await visit(entry, join(classDir, entry), 0);
  }
  return [...byRealPath.values()];
}

function packageOf(id: string, nameById: ReadonlyMap<string, string>): string | undefined {
  // A subzone belongs to the package of its top-level ancestor.
  let top = id;
  for (let parent = parentZoneId(top); parent !== undefined; parent = parentZoneId(top)) top = parent;
  const topName = nameById.get(top);
  return topName === undefined ? undefined : packageIndexOf(topName);
}

async function buildZone(io: SysfsIo, candidate: Candidate, name: string, pkg: string | undefined): Promise<PowercapZone> {
  const base = { id: candidate.id, name, zone: zoneLabel(name), package: pkg, dir: candidate.dir };
  const maxFile = join(candidate.dir, 'max_energy_range_uj');
  try {
    const max = parseMicrojoules(await io.readFile(maxFile), maxFile);
    if (max === 0) return { ...base, maxEnergyRangeUj: null, maxEnergyRangeError: zeroRangeError(maxFile) };
    return { ...base, maxEnergyRangeUj: max };
  } catch (error) {
    const cause = error instanceof RaplError ? error : toReadError(maxFile, error);
    return { ...base, maxEnergyRangeUj: null, maxEnergyRangeError: cause };
  }
}

function zeroRangeError(file: string): RaplError {
  return new RaplError(`${file}: a range of 0 cannot correct wraparound`, file, 'parse_error');
}

/** Orders zone ids by control type (intel-rapl before intel-rapl-mmio), then numerically by their hex path. */
export function compareZoneIds(a: string, b: string): number {
  const za = parseZoneId(a);
  const zb = parseZoneId(b);
  if (!za || !zb) return a < b ? -1 : a > b ? 1 : 0;
  if (za.control !== zb.control) return za.control < zb.control ? -1 : 1;
  const n = Math.min(za.indices.length, zb.indices.length);
  for (let i = 0; i < n; i++) {
    const d = za.indices[i]! - zb.indices[i]!;
    if (d !== 0) return d;
  }
  return za.indices.length - zb.indices.length;
}
