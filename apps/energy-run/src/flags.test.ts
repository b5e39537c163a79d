import { FlagError } from '@proj/metrics-core/cli';
import { describe, expect, it } from 'vitest';
import { energyRunHelp, parseEnergyRunCommandLine } from './flags.js';

const run = (argv: string[], env: Record<string, string> = {}) => {
  const parsed = parseEnergyRunCommandLine(argv, env);
  if (parsed.kind !== 'run') throw new Error(parsed.kind);
  return parsed;
};
const error = (argv: string[], env: Record<string, string> = {}): string => {
  try {
    parseEnergyRunCommandLine(argv, env);
  } catch (caught) {
    if (caught instanceof FlagError) return caught.message;
    throw caught;
  }
  throw new Error('no error');
};

describe('parseEnergyRunCommandLine', () => {
  it('takes the command after -- or from the first word that is not a flag, with its own flags untouched', () => {
    expect(run(['--', 'ls', '--all']).command).toEqual(['ls', '--all']);
    expect(run(['--interval', '250ms', 'ffmpeg', '-i', 'x', '--', 'y']).command).toEqual(['ffmpeg', '-i', 'x', '--', 'y']);
    expect(run(['--interval=1s', '--', 'true']).flags.interval).toBe(1000);
  });

  it('has the defaults, and env below flags', () => {
    const { flags } = run(['true'], { ENERGY_RUN_INTERVAL: '200ms', ENERGY_RUN_JSON: '-' });
    expect(flags).toMatchObject({ interval: 200, 'sysfs-root': '/sys', 'procfs-root': '/proc', 'cgroup-root': '/sys/fs/cgroup', json: '-', cgroup: false, 'nvidia-smi': 'nvidia-smi', estimate: 'on', 'cgroup-hierarchy': 'auto' });
    expect(run(['--interval', '300ms', 'true'], { ENERGY_RUN_INTERVAL: '200ms' }).flags.interval).toBe(300);
  });

  it('--cgroup takes no value; ENERGY_RUN_CGROUP=1 sets it', () => {
    expect(run(['--cgroup', '--', 'true']).flags.cgroup).toBe(true);
    expect(run(['true'], { ENERGY_RUN_CGROUP: '1' }).flags.cgroup).toBe(true);
    expect(run(['true'], { ENERGY_RUN_CGROUP: '0' }).flags.cgroup).toBe(false);
    expect(error(['--cgroup=yes', 'true'])).toBe('--cgroup: takes no value');
    expect(error(['--cgroup', '--cgroup-hierarchy', 'none', 'true'])).toBe('--cgroup: contradicts --cgroup-hierarchy none');
    expect(error(['true'], { ENERGY_RUN_CGROUP: 'maybe' })).toBe('ENERGY_RUN_CGROUP: "maybe" is not 1 or 0');
  });

  it('rejects a bad flag, a bad value and a missing command in one line', () => {
    expect(error(['--bogus', 'true'])).toBe('--bogus: unknown flag (see --help)');
    expect(error(['--interval', 'fast', 'true'])).toMatch(/^--interval: "fast" is not a duration/);
    expect(error(['--sysfs-root', '/nonexistent', 'true'])).toBe('--sysfs-root: /nonexistent is not a directory');
    expect(error(['--healthcheck', 'true'])).toBe('--healthcheck: unknown flag (see --help)');
    expect(error(['--interval', '100ms'])).toBe('energy-run: no command to run (usage: energy-run [flags] -- CMD ARGS...)');
    expect(error(['--'])).toMatch(/no command to run/);
  });

  it('answers --help and --version', () => {
    expect(parseEnergyRunCommandLine(['--help', 'true'], {})).toEqual({ kind: 'help' });
    expect(parseEnergyRunCommandLine(['--version'], {})).toEqual({ kind: 'version' });
    const help = energyRunHelp('Runs one command.');
    expect(help).toContain('usage: energy-run [flags] [--] CMD ARGS...');
    expect(help).toMatch(/--cgroup +require a cgroup of its own/);
    expect(help).not.toContain('--healthcheck');
  });
});
