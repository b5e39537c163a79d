import { parseKernelInteger } from '@proj/kernel-files';
import { HwmonParseError } from './errors.js';

/** What a file in an hwmon chip directory holds, for the files this package reads. */
export interface SensorFileName {
  readonly kind: 'power' | 'energy';
  /** N in `powerN_input`. */
  readonly index: number;
  /** The attribute after the underscore. */
  readonly attribute: 'input' | 'average' | 'average_interval' | 'label';
}

const SENSOR_FILE = /^(power|energy)([1-9]\d{0,3})_(input|average_interval|average|label)$/;

/** Parses an hwmon attribute file name (`power1_average`, `energy7_label`), or undefined for any other file. Pure. */
export function parseSensorFileName(fileName: string): SensorFileName | undefined {
  const match = SENSOR_FILE.exec(fileName);
  if (!match) return undefined;
  const kind = match[1] as SensorFileName['kind'];
  const attribute = match[3] as SensorFileName['attribute'];
  // The kernel's hwmon ABI has no energyN_average; only powerN has averages.
  if (kind === 'energy' && attribute !== 'input' && attribute !== 'label') return undefined;
  return { kind, index: Number(match[2]), attribute };
}

/**
 * Parses the text of an hwmon value file (microwatts, microjoules, milliseconds) into an integer. Pure. Throws
 * HwmonParseError naming `file` for empty text, anything but a decimal integer, a negative value, or a value beyond
 * 2^53 (a JavaScript number would silently round it).
 */
export function parseHwmonInteger(text: string, file: string): number {
  return parseKernelInteger(text, (value, problem) => new HwmonParseError(file, value, problem));
}

/** Parses a chip's `name` file: the trimmed text, which must not be empty. Pure. */
export function parseHwmonName(text: string, file: string): string {
  const name = text.trim();
  if (name === '') throw new HwmonParseError(file, name, 'empty chip name');
  return name;
}

/** Parses a `_label` file: its trimmed text (possibly empty). Pure. */
export function parseSensorLabel(text: string): string {
  return text.trim();
}

/**
 * The `chip` label for an hwmon `name`: lower-cased, every run of characters outside [a-z0-9] turned into `_`
 * (`power_meter` stays, `BAT1` -> `bat1`), as RAPL zone names are. Pure.
 */
export function chipLabel(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '_');
}

// The drivers whose `Esocket<N>` energy counter is the whole CPU package of socket N (amd_energy and its fork zenergy).
const SOCKET_ENERGY_CHIPS = new Set(['amd_energy', 'zenergy']);

/**
 * The CPU package an energy sensor measures, when it measures one: an amd_energy or zenergy counter labelled
 * `Esocket<N>` is socket N's package, as RAPL's `package-N` zone (`{ zone: 'package_0', package: '0' }`). Pure.
 */
export function socketOf(chipName: string, kind: 'power' | 'energy', label: string): { zone: string; package: string } | undefined {
  if (kind !== 'energy' || !SOCKET_ENERGY_CHIPS.has(chipLabel(chipName))) return undefined;
  const match = /^Esocket(\d+)$/i.exec(label.trim());
  if (!match) return undefined;
  const pkg = String(Number(match[1]));
  return { zone: `package_${pkg}`, package: pkg };
}
