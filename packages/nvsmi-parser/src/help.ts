import { lineError } from './errors.js';
import { parseNvidiaSmiError } from './messages.js';

/** One field `nvidia-smi --query-gpu` accepts on this driver. */
export interface QueryGpuField {
  /** The canonical name: the first one listed, and the one the CSV header prints (`clocks.current.graphics`). */
  readonly name: string;
  /** The other names the driver accepts for it (`clocks.gr`); the header still prints `name`. */
  readonly aliases: readonly string[];
  /** The driver's description, lines joined with `\n`. */
  readonly description: string;
}

/** What `nvidia-smi --help-query-gpu` says this driver supports. */
export interface HelpQueryGpu {
  /** Every field, in the driver's order. */
  readonly fields: readonly QueryGpuField[];
  /** Every canonical name and alias, mapped to its field. */
  readonly byName: ReadonlyMap<string, QueryGpuField>;
}

const INTRO = 'List of valid properties to query for the switch "--query-gpu';
// A field line is nothing but quoted names joined by ` or `: `"name" or "gpu_name"`. Description lines that start
// with a quote (`"0: Default" means ...`) have more after the quotes, and never follow a blank line.
const FIELD_LINE = /^"[^"\s]+"(?: or "[^"\s]+")*$/;

/**
 * Parses `nvidia-smi --help-query-gpu` into the fields this driver knows, with their aliases. Pure. Throws an
 * NvsmiError with the message's reason when the text is an nvidia-smi failure message instead, and one with reason
 * `unrecognised_line` when it is not help text at all (no intro line, or no field).
 */
export function parseHelpQueryGpu(text: string): HelpQueryGpu {
  const lines = text.split('\n').map((line) => line.replace(/\r$/, ''));
  const introAt = lines.findIndex((line) => line.startsWith(INTRO));
  if (introAt < 0) {
    const message = parseNvidiaSmiError(text);
    if (message) throw message;
    const first = lines.findIndex((line) => line.trim() !== '');
    throw lineError('not --help-query-gpu output (no intro line)', lines[first] ?? '', first + 1);
  }
  const fields: QueryGpuField[] = [];
  for (let i = introAt + 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (lines[i - 1] !== '' || !FIELD_LINE.test(line)) continue;
    const names = [...new Set(Array.from(line.matchAll(/"([^"]+)"/g), (match) => match[1]!))];
    const description: string[] = [];
    while (i + 1 < lines.length && lines[i + 1] !== '') description.push(lines[++i]!);
    fields.push({ name: names[0]!, aliases: names.slice(1), description: description.join('\n') });
  }
  if (fields.length === 0) throw lineError('--help-query-gpu output lists no field', lines[introAt]!, introAt + 1);
  const byName = new Map<string, QueryGpuField>();
  for (const field of fields) {
    for (const name of [field.name, ...field.aliases]) if (!byName.has(name)) byName.set(name, field);
  }
  return { fields, byName };
}

/** The field a name or alias stands for (`gpu_name` -> the `name` field), or undefined when the driver lacks it. */
export function resolveField(help: HelpQueryGpu, name: string): QueryGpuField | undefined {
  return help.byName.get(name);
}
