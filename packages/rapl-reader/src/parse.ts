import { parseKernelInteger } from '@proj/kernel-files';
import { RaplParseError } from './errors.js';

/**
 * Parses the text of a powercap counter file (`energy_uj`, `max_energy_range_uj`) into microjoules.
 * Pure. Throws RaplParseError naming `file` for empty text, anything but a decimal integer, a negative value,
 * or a value beyond 2^53 (a JavaScript number would silently round it).
 */
export function parseMicrojoules(text: string, file: string): number {
  return parseKernelInteger(text, (value, problem) => new RaplParseError(file, value, problem));
}

/** Parses a powercap `name` file: the trimmed text, which must not be empty. Pure. */
export function parseZoneName(text: string, file: string): string {
  const name = text.trim();
  if (name === '') throw new RaplParseError(file, name, 'empty zone name');
  return name;
}

/**
 * The `zone` label for a sysfs zone name: lower-cased, every run of characters outside [a-z0-9] turned into `_`
 * (`package-0-die-0` -> `package_0_die_0`). Pure.
 */
export function zoneLabel(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '_');
}

/**
 * The socket index a top-level zone name carries (`package-10` -> `"10"`, `package-0-die-1` -> `"0"`), or
 * undefined for names that are not packages (`psys`). The index comes from the name, never from the directory id.
 */
export function packageIndexOf(name: string): string | undefined {
  const match = /^package-(\d+)(?:$|-)/i.exec(name.trim());
  return match ? String(Number(match[1])) : undefined;
}

/** A parsed powercap zone directory name such as `intel-rapl:0:1` or `intel-rapl-mmio:0`. */
export interface ZoneId {
  /** The control type: `intel-rapl` (also used by AMD) or `intel-rapl-mmio`. */
  readonly control: string;
  /** The hex path components as numbers: `intel-rapl:a:1` -> [10, 1]. */
  readonly indices: readonly number[];
}

const ZONE_ID = /^(intel-rapl|intel-rapl-mmio)((?::[0-9a-f]+)+)$/;

/** Parses a powercap directory name into a ZoneId, or undefined when it is not a RAPL zone. Pure. */
export function parseZoneId(dirName: string): ZoneId | undefined {
  const match = ZONE_ID.exec(dirName);
  if (!match) return undefined;
  const indices = match[2]!
    .slice(1)
    .split(':')
    .map((hex) => Number.parseInt(hex, 16));
  return { control: match[1]!, indices };
}

/** The id of a zone's parent (`intel-rapl:0:1` -> `intel-rapl:0`), or undefined for a top-level zone. Pure. */
export function parentZoneId(dirName: string): string | undefined {
  const cut = dirName.lastIndexOf(':');
  const parent = dirName.slice(0, cut);
  return parent.includes(':') ? parent : undefined;
}
