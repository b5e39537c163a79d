import { basename, join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import { HwmonError, toHwmonError } from './errors.js';
import { chipLabel, parseHwmonInteger, parseHwmonName, parseSensorFileName, parseSensorLabel, socketOf } from './parse.js';
import { nodeHwmonIo, type HwmonIo } from './sysfs.js';

/** One hwmon chip (a `class/hwmon/hwmonN` directory). */
export interface HwmonChip {
  /** The class directory name, e.g. `hwmon3`. Stable while the machine runs; may change across reboots. */
  readonly id: string;
  /** The directory its files are read from (through `class/hwmon/`): `hwmonN`, or `hwmonN/device` on older drivers. */
  readonly dir: string;
  /** The raw `name` file, e.g. `zenpower`, `power_meter`, `amdgpu`. */
  readonly name: string;
  /** The `chip` label value: the name lower-cased with runs outside [a-z0-9] turned into `_`. */
  readonly chip: string;
  /** The device the chip belongs to: the last part of the resolved `device` link (`0000:00:1d.3`), if it has one. */
  readonly device: string | undefined;
  /** The resolved `device` link relative to the sysfs root (`devices/pci0000:00/0000:00:1d.3`), if it has one. */
  readonly devicePath: string | undefined;
  /** True when another chip has the same `chip` label: then only `device` tells them apart. */
  readonly duplicateName: boolean;
}

/** A power or energy sensor of a chip. */
export interface HwmonSensor {
  readonly chip: HwmonChip;
  readonly kind: 'power' | 'energy';
  /** The file stem, the `sensor` label value: `power1`, `energy7`. */
  readonly sensor: string;
  readonly index: number;
  /** The `_label` file's text, or empty when there is none. */
  readonly label: string;
  /** Why the label is empty although a `_label` file exists. */
  readonly labelError?: HwmonError;
  /** The value file read each time: `powerN_input` (preferred) or `powerN_average`; `energyN_input`. */
  readonly file: string;
  /** Which attribute `file` is. */
  readonly attribute: 'input' | 'average';
  /** `powerN_average_interval` in milliseconds, for an averaged power sensor that has one. */
  readonly averageIntervalMs: number | undefined;
  /** The CPU package this counter measures (amd_energy / zenergy `Esocket<N>`), for attribution. */
  readonly socket: { readonly zone: string; readonly package: string } | undefined;
  /** A key unique among the sensors of one discovery: `hwmon3/power1`. */
  readonly key: string;
}

/** What discovery found, and what it set aside, as data. */
export interface HwmonDiscovery {
  /** Every chip with a readable name, with or without power and energy sensors, in hwmonN order. */
  readonly chips: HwmonChip[];
  /** Every power and energy sensor of those chips, chip by chip, power before energy, by index. */
  readonly sensors: HwmonSensor[];
  /** Directories that cannot be a chip (no readable `name`, an unresolvable link). */
  readonly ignored: { readonly id: string; readonly error: HwmonError }[];
  /** Set when `class/hwmon` exists but cannot be listed. A missing directory is no chips, not an error. */
  readonly error?: HwmonError;
}

/** One sensor's value as read, with the monotonic time of the read. */
export type HwmonReading =
  | { readonly sensor: HwmonSensor; readonly kind: 'power'; readonly powerUw: number; readonly powerWatts: number; readonly atMs: number }
  | { readonly sensor: HwmonSensor; readonly kind: 'energy'; readonly energyUj: number; readonly atMs: number };

/** The result of reading sensors once: the readings and, beside them, the failures. */
export interface HwmonRead {
  readonly readings: HwmonReading[];
  readonly failures: { readonly sensor: HwmonSensor; readonly error: HwmonError }[];
}

/** Options for openHwmon. */
export interface OpenHwmonOptions {
  /** The sysfs mount point; `/sys` on a host. */
  readonly sysfsRoot?: string;
  readonly io?: HwmonIo;
  /** Monotonic clock in milliseconds; performance.now by default. */
  readonly now?: () => number;
}

/** The hwmon class of one sysfs root. */
export interface Hwmon {
  readonly sysfsRoot: string;
  /** Finds every chip under `<sysfsRoot>/class/hwmon` and its power and energy sensors. Never rejects. */
  discover(): Promise<HwmonDiscovery>;
  /**
   * Reads each sensor's value file once, one after another (never all at once: a mount stuck in the kernel then
   * holds one pool thread, not one per sensor), and stamps each reading with the clock read right after its own read
   * resolved. One sensor's failure is returned as data and never stops the others. Never rejects.
   */
  read(sensors: readonly HwmonSensor[]): Promise<HwmonRead>;
  /** Reads one sensor's value (µW or µJ). Rejects with HwmonError naming the file (`no_data` for ACPI's "unknown" power). */
  readValue(sensor: HwmonSensor): Promise<number>;
}

const ACPI_UNKNOWN_UW = 0xffff_ffff * 1000;

/** Opens the hwmon class of a sysfs root (`/sys` by default). Does no I/O until asked: discover, read and readValue do. */
export function openHwmon(options: OpenHwmonOptions = {}): Hwmon {
  const io = options.io ?? nodeHwmonIo;
  const sysfsRoot = options.sysfsRoot ?? '/sys';
  const now = options.now ?? (() => performance.now());

  const readValue = async (sensor: HwmonSensor): Promise<number> => {
    let text: string;
    try {
      text = await io.readFile(sensor.file);
    } catch (error) {
      throw toHwmonError(sensor.file, error);
    }
    const value = parseHwmonInteger(text, sensor.file);
    // ACPI's "unknown" (0xFFFFFFFF mW), which the power_meter driver passes on times 1000: a 4.29 MW spike otherwise.
    if (sensor.kind === 'power' && value === ACPI_UNKNOWN_UW) {
      throw new HwmonError(`${sensor.file}: 0xFFFFFFFF mW, ACPI's "unknown"`, sensor.file, 'no_data');
    }
    return value;
  };

  return {
    sysfsRoot,
    discover: () => discover(io, sysfsRoot),
    readValue,
    async read(sensors) {
      const readings: HwmonReading[] = [];
      const failures: { sensor: HwmonSensor; error: HwmonError }[] = [];
      for (const sensor of sensors) {
        try {
          const value = await readValue(sensor);
          const atMs = now(); // right after this sensor's read: each reading keeps its own time
          readings.push(
            sensor.kind === 'power'
              ? { sensor, kind: 'power', powerUw: value, powerWatts: value / 1e6, atMs }
              : { sensor, kind: 'energy', energyUj: value, atMs },
          );
        } catch (error) {
          failures.push({ sensor, error: toHwmonError(sensor.file, error) });
        }
      }
      return { readings, failures };
    },
  };
}

async function discover(io: HwmonIo, sysfsRoot: string): Promise<HwmonDiscovery> {
  const classDir = join(sysfsRoot, 'class', 'hwmon');
  const ignored: { id: string; error: HwmonError }[] = [];
  let entries: string[];
  try {
    entries = await io.readdir(classDir);
  } catch (error) {
    const readError = toHwmonError(classDir, error);
    // No hwmon class at all (containers with a masked /sys, some VMs) is a normal "no data" outcome.
    if (readError.reason === 'not_found') return { chips: [], sensors: [], ignored };
    return { chips: [], sensors: [], ignored, error: readError };
  }

  let realRoot: string;
  try {
    realRoot = await io.realpath(sysfsRoot);
  } catch {
    realRoot = sysfsRoot;
  }
  const seen = new Set<string>();
  const found: { chip: Omit<HwmonChip, 'duplicateName'>; files: string[] }[] = [];
  const ids = entries.filter((entry) => /^hwmon\d+$/.test(entry)).sort((a, b) => Number(a.slice(5)) - Number(b.slice(5)));
  for (const id of ids) {
    const dir = join(classDir, id);
    try {
      const real = await io.realpath(dir);
      if (seen.has(real)) continue;
      seen.add(real);
      const { attributeDir, name } = await readChipName(io, dir);
      let devicePath: string | undefined;
      try {
        devicePath = relative(realRoot, await io.realpath(join(dir, 'device')));
      } catch {
        devicePath = undefined; // virtual chips (acpitz, some drivers) have no device
      }
      const files = await io.readdir(attributeDir);
      found.push({
        chip: { id, dir: attributeDir, name, chip: chipLabel(name), device: devicePath === undefined ? undefined : basename(devicePath), devicePath },
        files,
      });
    } catch (error) {
      ignored.push({ id, error: toHwmonError(dir, error) });
    }
  }

  const counts = new Map<string, number>();
  for (const { chip } of found) counts.set(chip.chip, (counts.get(chip.chip) ?? 0) + 1);
  const chips: HwmonChip[] = [];
  const sensors: HwmonSensor[] = [];
  for (const { chip: partial, files } of found) {
    const chip: HwmonChip = { ...partial, duplicateName: (counts.get(partial.chip) ?? 0) > 1 };
    chips.push(chip);
    sensors.push(...(await sensorsOf(io, chip, files)));
  }
  return { chips, sensors, ignored };
}

/**
 * Reads a chip's name, and finds where its attributes are: in the hwmon directory, or (drivers of older kernels,
 * such as the ACPI power meter on 3.10) in its `device` directory, where `name` is then found too.
 */
async function readChipName(io: HwmonIo, dir: string): Promise<{ attributeDir: string; name: string }> {
  const nameFile = join(dir, 'name');
  try {
    return { attributeDir: dir, name: parseHwmonName(await io.readFile(nameFile), nameFile) };
  } catch (error) {
    const readError = toHwmonError(nameFile, error);
    if (readError.reason !== 'not_found') throw readError;
    const deviceDir = join(dir, 'device');
    const deviceNameFile = join(deviceDir, 'name');
    try {
      return { attributeDir: deviceDir, name: parseHwmonName(await io.readFile(deviceNameFile), deviceNameFile) };
    } catch {
      throw readError; // the hwmon directory's own name is the one missing
    }
  }
}

async function sensorsOf(io: HwmonIo, chip: HwmonChip, files: readonly string[]): Promise<HwmonSensor[]> {
  const groups = new Map<string, { kind: 'power' | 'energy'; index: number; attributes: Set<string> }>();
  for (const file of files) {
    const parsed = parseSensorFileName(file);
    if (!parsed) continue;
    const stem = `${parsed.kind}${parsed.index}`;
    const group = groups.get(stem) ?? { kind: parsed.kind, index: parsed.index, attributes: new Set<string>() };
    group.attributes.add(parsed.attribute);
    groups.set(stem, group);
  }
  const sensors: HwmonSensor[] = [];
  const ordered = [...groups.entries()].sort(([, a], [, b]) => (a.kind === b.kind ? a.index - b.index : a.kind === 'power' ? -1 : 1));
  for (const [stem, group] of ordered) {
    // Instantaneous input first; chips that only average (ACPI power meters, older amdgpu) have powerN_average.
    const attribute = group.attributes.has('input') ? 'input' : group.kind === 'power' && group.attributes.has('average') ? 'average' : undefined;
    if (attribute === undefined) continue;
    let label = '';
    let labelError: HwmonError | undefined;
    if (group.attributes.has('label')) {
      const labelFile = join(chip.dir, `${stem}_label`);
      try {
        label = parseSensorLabel(await io.readFile(labelFile));
      } catch (error) {
        labelError = toHwmonError(labelFile, error);
      }
    }
    let averageIntervalMs: number | undefined;
    if (attribute === 'average' && group.attributes.has('average_interval')) {
      const intervalFile = join(chip.dir, `${stem}_average_interval`);
      try {
        averageIntervalMs = parseHwmonInteger(await io.readFile(intervalFile), intervalFile);
      } catch {
        averageIntervalMs = undefined; // the interval only describes the value; the value is still good
      }
    }
    sensors.push({
      chip,
      kind: group.kind,
      sensor: stem,
      index: group.index,
      label,
      ...(labelError === undefined ? {} : { labelError }),
      file: join(chip.dir, `${stem}_${attribute}`),
      attribute,
      averageIntervalMs,
      socket: socketOf(chip.name, group.kind, label),
      key: `${chip.id}/${stem}`,
    });
  }
  return sensors;
}
