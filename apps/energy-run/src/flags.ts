import { choiceParser, durationParser, FlagError, formatHelp, parseDirectory, parseFlags, parseNonEmpty, type FlagSpecs, type FlagValues } from '@proj/metrics-core/cli';

/** energy-run's value flags; `--cgroup` (no value) is handled by splitCommandLine. */
export const energyRunFlags = {
  interval: {
    description: 'sampling interval of energy, /proc/stat and the command CPU',
    valueName: 'DURATION',
    env: 'ENERGY_RUN_INTERVAL',
    default: 100,
    defaultText: '100ms',
    parse: durationParser(10, 10_000),
  },
  'sysfs-root': { description: 'sysfs mount point to read powercap and hwmon from', valueName: 'PATH', env: 'ENERGY_RUN_SYSFS_ROOT', default: '/sys', parse: parseDirectory },
  'procfs-root': { description: 'procfs mount point to read CPU times from', valueName: 'PATH', env: 'ENERGY_RUN_PROCFS_ROOT', default: '/proc', parse: parseDirectory },
  'cgroup-root': { description: 'where the cgroup filesystems are mounted', valueName: 'PATH', env: 'ENERGY_RUN_CGROUP_ROOT', default: '/sys/fs/cgroup', parse: parseNonEmpty },
  'cgroup-hierarchy': {
    description: 'where the cgroup of its own is made: v2 where writable else v1 cpuacct (auto), only one, or none (no cgroup: reaped children\'s times)',
    valueName: 'auto|v2|v1|none',
    env: 'ENERGY_RUN_CGROUP_HIERARCHY',
    default: 'auto' as 'auto' | 'v2' | 'v1' | 'none',
    parse: choiceParser(['auto', 'v2', 'v1', 'none'] as const),
  },
  json: { description: 'also write the result as JSON to FILE (- for standard output)', valueName: 'FILE', env: 'ENERGY_RUN_JSON', default: '', defaultText: 'none', parse: parseNonEmpty },
  estimate: {
    description: 'without RAPL or hwmon energy, estimate CPU energy from the busy ratio (ccf_linear) or report none (off)',
    valueName: 'on|off',
    env: 'ENERGY_RUN_ESTIMATE',
    default: 'on' as 'on' | 'off',
    parse: choiceParser(['on', 'off'] as const),
  },
  'nvidia-smi': {
    description: 'nvidia-smi to ask for GPU power and per-process use (GPU part only when it answers; off: none)',
    valueName: 'PATH',
    env: 'ENERGY_RUN_NVIDIA_SMI',
    default: 'nvidia-smi',
    parse: parseNonEmpty,
  },
} satisfies FlagSpecs;

/** The flag values energy-run runs with. */
export type EnergyRunFlags = FlagValues<typeof energyRunFlags> & { cgroup: boolean };

/** What the command line asks for. */
export type EnergyRunCommandLine =
  | { readonly kind: 'run'; readonly flags: EnergyRunFlags; readonly command: readonly string[] }
  | { readonly kind: 'help' }
  | { readonly kind: 'version' };

const TRUE_WORDS = new Set(['1', 'true', 'yes', 'on']);
const FALSE_WORDS = new Set(['', '0', 'false', 'no', 'off']);

/**
 * Splits `[flags] [--] CMD ARGS...`: the command starts after `--`, or at the first word that is neither a flag nor
 * a flag's value. `--cgroup` takes no value (ENERGY_RUN_CGROUP=1 sets it too); the rest go to parseFlags.
 * Throws FlagError for a bad flag or a missing command. Pure.
 */
export function parseEnergyRunCommandLine(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): EnergyRunCommandLine {
  const flagTokens: string[] = [];
  let command: string[] = [];
  let cgroupFlag = false;
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (token === '--') {
      command = argv.slice(i + 1);
      break;
    }
    if (!token.startsWith('-') || token === '-') {
      command = argv.slice(i);
      break;
    }
    if (token === '--cgroup') {
      if (cgroupFlag) throw new FlagError('--cgroup', 'given more than once');
      cgroupFlag = true;
      continue;
    }
    if (token.startsWith('--cgroup=')) throw new FlagError('--cgroup', 'takes no value');
    if (token === '--healthcheck' || token.startsWith('--healthcheck=')) throw new FlagError('--healthcheck', 'unknown flag (see --help)');
    flagTokens.push(token);
    const name = token.slice(2);
    // A value flag written `--name value` takes the next word with it.
    if (token.startsWith('--') && !token.includes('=') && Object.hasOwn(energyRunFlags, name) && i + 1 < argv.length) flagTokens.push(argv[++i]!);
  }
  const parsed = parseFlags(energyRunFlags, flagTokens, env);
  if (parsed.kind === 'help' || parsed.kind === 'version') return { kind: parsed.kind };
  if (parsed.kind !== 'run') throw new FlagError('--healthcheck', 'unknown flag (see --help)');
  let cgroup = cgroupFlag;
  const fromEnv = env.ENERGY_RUN_CGROUP;
  if (!cgroupFlag && fromEnv !== undefined) {
    const word = fromEnv.trim().toLowerCase();
    if (TRUE_WORDS.has(word)) cgroup = true;
    else if (!FALSE_WORDS.has(word)) throw new FlagError('ENERGY_RUN_CGROUP', `${JSON.stringify(fromEnv)} is not 1 or 0`);
  }
  if (cgroup && parsed.values['cgroup-hierarchy'] === 'none') throw new FlagError('--cgroup', 'contradicts --cgroup-hierarchy none');
  if (command.length === 0) throw new FlagError('energy-run', 'no command to run (usage: energy-run [flags] -- CMD ARGS...)');
  return { kind: 'run', flags: { ...parsed.values, cgroup }, command };
}

/** The --help text. */
export function energyRunHelp(description: string): string {
  const text = formatHelp('energy-run', description, energyRunFlags)
    .replace('usage: energy-run [flags]', 'usage: energy-run [flags] [--] CMD ARGS...')
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('--healthcheck'));
  const at = text.findIndex((line) => line.trimStart().startsWith('--help'));
  const width = text[at]!.indexOf('show this help');
  text.splice(at, 0, `  ${'--cgroup'.padEnd(width - 2)}require a cgroup of its own for exact CPU accounting: exit 125 when none can be made (without it one is still tried) (env ENERGY_RUN_CGROUP)`);
  return text.join('\n');
}
