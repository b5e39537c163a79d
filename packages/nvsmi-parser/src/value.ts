/**
 * Why nvidia-smi printed no value. The bracketed tokens are NVML's error strings (`nvmlErrorString`) in brackets;
 * `N/A` without brackets is what some fields print (e.g. `temperature.memory`, `fabric.health.*`).
 */
export type AbsentReason =
  /** `[N/A]` or `N/A`: not applicable here (e.g. utilisation of a MIG-enabled parent GPU). */
  | 'not_available'
  /** `[Not Supported]`: this GPU or driver does not report it (older drivers said this where newer say `[N/A]`). */
  | 'not_supported'
  /** `[Insufficient Permissions]`: e.g. MIG memory in an unprivileged container. */
  | 'insufficient_permissions'
  /** `[Unknown Error]`. */
  | 'unknown_error'
  /** `[GPU is lost]`: the GPU fell off the bus. */
  | 'gpu_lost'
  /** `[GPU requires reset]`. */
  | 'gpu_requires_reset'
  /** `[Requested functionality has been deprecated]`: the driver no longer answers this field. */
  | 'deprecated'
  /** Any other bracketed NVML error string; its text is kept in `text`. */
  | 'other';

/** One decoded CSV cell. `text` is always the cell exactly as nvidia-smi printed it. */
export type NvsmiValue =
  /** A decimal number, with the unit the cell or its header gave (`W`, `MiB`, `%`, `MHz`, `us`), if any. */
  | { readonly kind: 'number'; readonly value: number; readonly unit: string | undefined; readonly text: string }
  /** A `0x...` value (bus numbers, device ids, 64-bit event-reason masks), as a bigint so no bit is lost. */
  | { readonly kind: 'hex'; readonly value: bigint; readonly text: string }
  /** `Enabled` (true) or `Disabled` (false). */
  | { readonly kind: 'enabled'; readonly value: boolean; readonly text: string }
  /** Anything else: names, UUIDs, bus ids, versions, `P8`, `Not Active`, `Default`, and the empty string. */
  | { readonly kind: 'text'; readonly value: string; readonly text: string }
  /** No value, and why. Never a number, never 0. */
  | { readonly kind: 'absent'; readonly reason: AbsentReason; readonly text: string };

const ABSENT_TOKENS: ReadonlyMap<string, AbsentReason> = new Map([
  ['[N/A]', 'not_available'],
  ['N/A', 'not_available'],
  ['[Not Supported]', 'not_supported'],
  ['[Insufficient Permissions]', 'insufficient_permissions'],
  ['[Unknown Error]', 'unknown_error'],
  ['[GPU is lost]', 'gpu_lost'],
  ['[GPU requires reset]', 'gpu_requires_reset'],
  ['[Requested functionality has been deprecated]', 'deprecated'],
]);

// A plain decimal as nvidia-smi prints one: no sign but `-`, no exponent, no leading zeros (so a serial number such
// as `0000000000000` stays text), and an optional unit after one space (`71.15 W`, `81559 MiB`, `100 %`, `0 us`).
const NUMBER = /^(-?(?:0|[1-9]\d*)(?:\.\d+)?)(?: ([A-Za-z%/]+))?$/;
const HEX = /^0x[0-9A-Fa-f]+$/;
const MAX_SAFE_BIGINT = 9007199254740991n;

/**
 * Decodes one CSV cell. `headerUnit` is the unit the column's header gave (`W` for `power.draw [W]`): with
 * `nounits` the cell is a bare number and takes that unit; a cell whose own unit contradicts the header's stays
 * text rather than become a number in the wrong unit. Pure; never throws.
 */
export function decodeValue(text: string, headerUnit?: string): NvsmiValue {
  const absent = ABSENT_TOKENS.get(text);
  if (absent !== undefined) return { kind: 'absent', reason: absent, text };
  if (text.length > 2 && text.startsWith('[') && text.endsWith(']')) return { kind: 'absent', reason: 'other', text };
  if (text === 'Enabled' || text === 'Disabled') return { kind: 'enabled', value: text === 'Enabled', text };
  if (HEX.test(text)) return { kind: 'hex', value: BigInt(text), text };
  const number = NUMBER.exec(text);
  if (number) {
    const unit = number[2] ?? headerUnit;
    if (number[2] === undefined || headerUnit === undefined || number[2] === headerUnit) {
      return { kind: 'number', value: Number(number[1]), unit, text };
    }
  }
  return { kind: 'text', value: text, text };
}

/** The number a value holds, or undefined when it holds none (absent, text, ...). Hex values count when safe. */
export function numberOf(value: NvsmiValue | undefined): number | undefined {
  if (value?.kind === 'number') return value.value;
  if (value?.kind === 'hex' && value.value <= MAX_SAFE_BIGINT) return Number(value.value);
  return undefined;
}

/** The cell's text when it holds a value (names, UUIDs, versions), or undefined when it is absent. */
export function textOf(value: NvsmiValue | undefined): string | undefined {
  return value === undefined || value.kind === 'absent' ? undefined : value.text;
}
