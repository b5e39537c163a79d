import type { Tool } from './config.js';

/** What a command line asks for. */
export type Command =
  | { readonly kind: 'power-reading' }
  | { readonly kind: 'sdr'; readonly what: 'sdr' | 'sensor' }
  | { readonly kind: 'version' }
  /** Something the real tool would refuse or the fake does not emulate: `message` goes to stderr, exit 1. */
  | { readonly kind: 'invalid'; readonly message: string };

// ipmitool options that take a value (interface, host, user, password, port, ...), skipped before the command.
const IPMITOOL_VALUED = new Set(['-I', '-H', '-U', '-P', '-p', '-L', '-A', '-C', '-y', '-Y', '-f', '-k', '-K', '-N', '-R', '-t', '-b', '-m', '-T', '-B', '-l', '-o', '-O', '-e', '-z', '-d']);
// FreeIPMI options that take a value when written `--name value` (also `--name=value`).
const FREEIPMI_VALUED = new Set(['-D', '--driver-type', '-h', '--hostname', '-u', '--username', '-p', '--password', '-l', '--privilege-level', '--driver-device', '--config-file']);

/** Reads the command line of `tool` (the subset an exporter uses). Pure. */
export function parseArgs(tool: Tool, argv: readonly string[]): Command {
  return tool === 'ipmitool' ? parseIpmitool(argv) : parseIpmiDcmi(argv);
}

function parseIpmitool(argv: readonly string[]): Command {
  const words: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '-V') return { kind: 'version' };
    if (IPMITOOL_VALUED.has(arg)) i++;
    else if (arg.startsWith('-') && words.length === 0) continue; // -v, -c, -E and the like
    else words.push(arg);
  }
  const command = words.join(' ');
  if (command === 'dcmi power reading') return { kind: 'power-reading' };
  if (words[0] === 'sdr') return { kind: 'sdr', what: 'sdr' };
  if (words[0] === 'sensor') return { kind: 'sdr', what: 'sensor' };
  return { kind: 'invalid', message: `Invalid command: ${command === '' ? '(none)' : command} (fake-ipmitool answers dcmi power reading, sdr, sensor, -V)` };
}

function parseIpmiDcmi(argv: readonly string[]): Command {
  let command: Command | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--get-system-power-statistics') command ??= { kind: 'power-reading' };
    else if (arg === '--version' || arg === '-V') command ??= { kind: 'version' };
    else if (FREEIPMI_VALUED.has(arg)) i++;
    else if (arg.startsWith('--') && arg.includes('=')) continue;
    else return { kind: 'invalid', message: `ipmi-dcmi: unrecognized option '${arg}'` };
  }
  return command ?? { kind: 'invalid', message: 'ipmi-dcmi: no command specified (fake-ipmitool answers --get-system-power-statistics, --version)' };
}
