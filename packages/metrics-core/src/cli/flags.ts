import { statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { LOG_LEVELS, type LogLevel } from '../metrics/log.js';

/** One command-line flag, with its environment variable and default. */
export interface FlagSpec<T> {
  readonly description: string;
  /** e.g. `PORT`, shown in --help. */
  readonly valueName: string;
  /** The environment variable that sets it when the flag is not given. */
  readonly env?: string;
  readonly default: T;
  /** Turns the raw text into a value; throws FlagValueError saying why it is not acceptable. */
  readonly parse: (raw: string) => T;
  /** How the default reads in --help, when String(default) would not do. */
  readonly defaultText?: string;
}

/** A set of flags by name (`port` is `--port`). */
export type FlagSpecs = Record<string, FlagSpec<unknown>>;

/** The values of a set of flags. */
export type FlagValues<S extends FlagSpecs> = { -readonly [K in keyof S]: S[K] extends { parse: (raw: string) => infer T } ? T : never };

/** A value parser's complaint, without the flag's name (parseFlags adds it). */
export class FlagValueError extends Error {
  override readonly name = 'FlagValueError';
}

/** A bad command line: the message is one line naming the flag (or variable) and why. */
export class FlagError extends Error {
  override readonly name = 'FlagError';
  /** `--port`, or the environment variable's name when that was the source. */
  readonly flag: string;

  constructor(flag: string, message: string, options?: { cause?: unknown }) {
    super(`${flag}: ${message}`, options);
    this.flag = flag;
  }
}

/** What a command line asks for: serve, probe a running exporter's /health (`--healthcheck`), help, version. */
export type CommandLine<S extends FlagSpecs> =
  | { readonly kind: 'run'; readonly values: FlagValues<S> }
  | { readonly kind: 'healthcheck'; readonly values: FlagValues<S> }
  | { readonly kind: 'help' }
  | { readonly kind: 'version' };

/**
 * Parses `argv` (without node and script) against `specs` with node:util's parseArgs: `--name value` or
 * `--name=value`; a flag wins over its environment variable, which wins over the default. `--help`/`-h` and
 * `--version` stop parsing. Throws FlagError for an unknown flag, a missing value, a flag given twice, a stray argument
 * or a value its parser rejects.
 */
export function parseFlags<S extends FlagSpecs>(specs: S, argv: readonly string[], env: Readonly<Record<string, string | undefined>>): CommandLine<S> {
  const config: Record<string, { type: 'string' | 'boolean'; short?: string }> = {
    help: { type: 'boolean', short: 'h' },
    version: { type: 'boolean' },
    healthcheck: { type: 'boolean' },
  };
  for (const name of Object.keys(specs)) config[name] = { type: 'string' };
  // Not strict: the errors below name the flag the way the rest of the command line talks.
  const { tokens } = parseArgs({ args: [...argv], options: config, strict: false, allowPositionals: true, tokens: true });
  const raw = new Map<string, string>();
  let healthcheck = false;
  for (const token of tokens) {
    if (token.kind === 'positional') throw new FlagError(token.value, 'unexpected argument (flags look like --port 9510; see --help)');
    if (token.kind === 'option-terminator') throw new FlagError('--', 'unexpected argument (flags look like --port 9510; see --help)');
    const { name, rawName } = token;
    if (name === 'help') return { kind: 'help' };
    if (name === 'version') return { kind: 'version' };
    if (name === 'healthcheck') {
      if (token.value !== undefined) throw new FlagError(rawName, 'takes no value');
      healthcheck = true;
      continue;
    }
    if (!rawName.startsWith('--') || !Object.hasOwn(specs, name)) throw new FlagError(rawName.startsWith('--') ? rawName : `-${name}`, 'unknown flag (see --help)');
    const value = token.value;
    if (value === undefined || (token.inlineValue !== true && value.startsWith('--'))) throw new FlagError(`--${name}`, `needs a value (${specs[name]!.valueName})`);
    if (raw.has(name)) throw new FlagError(`--${name}`, 'given more than once');
    raw.set(name, value);
  }

  const values: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(specs)) {
    const fromFlag = raw.get(name);
    const fromEnv = spec.env === undefined ? undefined : env[spec.env];
    const [source, text] =
      fromFlag !== undefined ? [`--${name}`, fromFlag] : fromEnv !== undefined && fromEnv !== '' ? [spec.env!, fromEnv] : [undefined, undefined];
    if (source === undefined || text === undefined) {
      values[name] = spec.default;
      continue;
    }
    try {
      values[name] = spec.parse(text);
    } catch (error) {
      const why = error instanceof FlagValueError ? error.message : String(error);
      throw new FlagError(source, why, { cause: error });
    }
  }
  return { kind: healthcheck ? 'healthcheck' : 'run', values: values as FlagValues<S> };
}

/** The --help text. */
export function formatHelp(program: string, description: string, specs: FlagSpecs): string {
  const rows: [string, string][] = Object.entries(specs).map(([name, spec]) => {
    const notes = [spec.env ? `env ${spec.env}` : undefined, `default ${spec.defaultText ?? String(spec.default)}`].filter(Boolean);
    return [`--${name} ${spec.valueName}`, `${spec.description} (${notes.join(', ')})`];
  });
  rows.push(
    ['--healthcheck', 'ask the exporter running at --host/--port for /health (over TLS, pinned to the certificate of --web.config.file, when it has one); exit 0 if it answers 200 (for container healthchecks)'],
    ['--help', 'show this help and exit'],
    ['--version', 'print the version and exit'],
  );
  const width = Math.max(...rows.map(([left]) => left.length)) + 2;
  const lines = rows.map(([left, right]) => `  ${left.padEnd(width)}${right}`);
  return `usage: ${program} [flags]\n\n${description}\n\nflags:\n${lines.join('\n')}\n`;
}

/** Where runCommandLine writes and how it exits; process by default. */
export interface CommandLineIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly exit: (code: number) => never;
}

const processIo: CommandLineIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  exit: (code) => process.exit(code),
};

/** Program name, version and description for runCommandLine. */
export interface ProgramInfo {
  readonly program: string;
  readonly version: string;
  readonly description: string;
}

/** The flag values, and whether `--healthcheck` asked to probe a running exporter instead of serving. */
export interface ParsedCommandLine<S extends FlagSpecs> {
  readonly values: FlagValues<S>;
  readonly healthcheck: boolean;
}

/**
 * Parses the command line; prints help or the version and exits 0 when asked; on a bad flag prints one line
 * (`<program>: --port: "x" is not a port number`) to standard error and exits 2. Returns the values otherwise.
 */
export function runCommandLine<S extends FlagSpecs>(
  info: ProgramInfo,
  specs: S,
  argv: readonly string[] = process.argv.slice(2),
  env: Readonly<Record<string, string | undefined>> = process.env,
  io: CommandLineIo = processIo,
): ParsedCommandLine<S> {
  let parsed: CommandLine<S>;
  try {
    parsed = parseFlags(specs, argv, env);
  } catch (error) {
    if (!(error instanceof FlagError)) throw error;
    io.stderr(`${info.program}: ${error.message}\n`);
    return io.exit(2);
  }
  if (parsed.kind === 'help') {
    io.stdout(formatHelp(info.program, info.description, specs));
    return io.exit(0);
  }
  if (parsed.kind === 'version') {
    io.stdout(`${info.program} ${info.version} (typescript, node ${process.versions.node}, ${process.platform}/${process.arch})\n`);
    return io.exit(0);
  }
  return { values: parsed.values, healthcheck: parsed.kind === 'healthcheck' };
}

/** Options for exporterFlags. */
export interface ExporterFlagsOptions {
  /** Environment variable prefix: `CPU_EXPORTER` gives CPU_EXPORTER_PORT, CPU_EXPORTER_HOST, ... */
  readonly envPrefix: string;
  readonly port: number;
  /** What the interval governs, for --help. */
  readonly intervalDescription: string;
}

/**
 * The flags every exporter has: --port, --host, --interval (100ms to 30s),
 * --log-level, --web.config.file, and what --healthcheck needs to pass a web configuration: --healthcheck.user (its
 * password only from `<envPrefix>_HEALTHCHECK_PASSWORD`, never on a command line that `ps` shows) and a client
 * certificate (--healthcheck.client-cert-file, --healthcheck.client-key-file).
 */
export function exporterFlags(options: ExporterFlagsOptions) {
  const env = (name: string) => `${options.envPrefix}_${name}`;
  return {
    port: { description: 'port to listen on (0 picks a free one)', valueName: 'PORT', env: env('PORT'), default: options.port, parse: parsePort },
    host: { description: 'address to listen on', valueName: 'HOST', env: env('HOST'), default: '0.0.0.0', parse: parseNonEmpty },
    interval: {
      description: options.intervalDescription,
      valueName: 'DURATION',
      env: env('INTERVAL'),
      default: 1000,
      defaultText: '1s',
      parse: durationParser(100, 30_000),
    },
    'log-level': {
      description: 'least severe log level written',
      valueName: 'LEVEL',
      env: env('LOG_LEVEL'),
      default: 'info' as LogLevel,
      parse: choiceParser(LOG_LEVELS),
    },
    'web.config.file': {
      description:
        "exporter-toolkit web configuration (TLS, client certificates, basic auth, headers); re-read when it changes and on SIGHUP",
      valueName: 'PATH',
      env: env('WEB_CONFIG_FILE'),
      default: '',
      defaultText: 'none: plain HTTP, no authentication',
      parse: parseNonEmpty,
    },
    'healthcheck.user': {
      description: `user --healthcheck authenticates as, with the password from ${env('HEALTHCHECK_PASSWORD')}`,
      valueName: 'USER',
      env: env('HEALTHCHECK_USER'),
      default: '',
      defaultText: 'none',
      parse: parseNonEmpty,
    },
    'healthcheck.client-cert-file': {
      description: '--healthcheck shows this client certificate (PEM), for a web configuration that requires one',
      valueName: 'PATH',
      env: env('HEALTHCHECK_CLIENT_CERT_FILE'),
      default: '',
      defaultText: 'none',
      parse: parseNonEmpty,
    },
    'healthcheck.client-key-file': {
      description: "the key of --healthcheck.client-cert-file (PEM)",
      valueName: 'PATH',
      env: env('HEALTHCHECK_CLIENT_KEY_FILE'),
      default: '',
      defaultText: 'none',
      parse: parseNonEmpty,
    },
  } satisfies FlagSpecs;
}

// Value parsers.

/** A TCP port, 0-65535 (0 picks a free one). */
export function parsePort(raw: string): number {
  if (!/^\d{1,5}$/.test(raw.trim()) || Number(raw) > 65535) throw new FlagValueError(`${JSON.stringify(raw)} is not a port number (0-65535)`);
  return Number(raw);
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A duration parser (`1s`, `500ms`, `1.5s`, `2m`) accepting values within [minMs, maxMs]; returns milliseconds. */
export function durationParser(minMs: number, maxMs: number): (raw: string) => number {
  return (raw) => {
    const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(raw.trim());
    if (!match) throw new FlagValueError(`${JSON.stringify(raw)} is not a duration (use e.g. 1s, 500ms, 2m)`);
    const ms = Number(match[1]) * DURATION_UNITS[match[2]!]!;
    if (ms < minMs || ms > maxMs) throw new FlagValueError(`${raw} is out of range (${formatDuration(minMs)} to ${formatDuration(maxMs)})`);
    return ms;
  };
}

/** Writes milliseconds the way durationParser reads them. */
export function formatDuration(ms: number): string {
  if (ms % 60_000 === 0 && ms >= 60_000) return `${ms / 60_000}m`;
  if (ms % 1000 === 0 && ms >= 1000) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/** A non-empty string. */
export function parseNonEmpty(raw: string): string {
  if (raw.trim() === '') throw new FlagValueError('must not be empty');
  return raw;
}

/** A directory that exists (a mount point such as `--sysfs-root`): a wrong one is a mistake to report at once. */
export function parseDirectory(raw: string): string {
  parseNonEmpty(raw);
  let isDirectory = false;
  try {
    isDirectory = statSync(raw).isDirectory();
  } catch {
    // reported below: missing, or not ours to look at
  }
  if (!isDirectory) throw new FlagValueError(`${raw} is not a directory`);
  return raw;
}

/**
 * The commands whose processes get per-process energy series by default, in both exporters (`--attribute-processes`):
 * ffmpeg and its kin, the lab's streams. Only matching processes get series: cardinality stays that of the streams.
 */
export const DEFAULT_ATTRIBUTE_PROCESSES = /^(ffmpeg|ffprobe|gst-launch-1\.0)$/;

/** A regular expression, or null for an empty value (that feature off). */
export function parseOptionalRegex(raw: string): RegExp | null {
  if (raw === '') return null;
  try {
    return new RegExp(raw);
  } catch (error) {
    throw new FlagValueError(`not a regular expression: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** A parser accepting one of `choices`. */
export function choiceParser<T extends string>(choices: readonly T[]): (raw: string) => T {
  return (raw) => {
    if (!(choices as readonly string[]).includes(raw)) throw new FlagValueError(`${JSON.stringify(raw)} is not one of ${choices.join(', ')}`);
    return raw as T;
  };
}
