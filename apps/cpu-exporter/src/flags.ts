import { choiceParser, durationParser, FlagValueError, LOG_LEVELS, parseNonEmpty, parsePort, type FlagSpec } from '@proj/metrics-core';
import { statSync } from 'node:fs';

/** A directory that exists: a wrong --sysfs-root is a mistake to report at once, not "no zones" forever. */
function parseSysfsRoot(raw: string): string {
  parseNonEmpty(raw);
  let isDirectory = false;
  try {
    isDirectory = statSync(raw).isDirectory();
  } catch {
    // reported below
  }
  if (!isDirectory) throw new FlagValueError(`${raw} is not a directory`);
  return raw;
}

/** The CPU exporter's command line (DESIGN.md, "Command line"). */
export const cpuExporterFlags = {
  port: { description: 'port to listen on (0 picks a free one)', valueName: 'PORT', env: 'CPU_EXPORTER_PORT', default: 9510, parse: parsePort },
  host: { description: 'address to listen on', valueName: 'HOST', env: 'CPU_EXPORTER_HOST', default: '0.0.0.0', parse: parseNonEmpty },
  interval: {
    description: 'sampling interval; RAPL counters wrap every few minutes at full load, so keep it short',
    valueName: 'DURATION',
    env: 'CPU_EXPORTER_INTERVAL',
    default: 1000,
    defaultText: '1s',
    parse: durationParser(100, 30_000),
  },
  'sysfs-root': { description: 'sysfs mount point to read powercap from', valueName: 'PATH', env: 'CPU_EXPORTER_SYSFS_ROOT', default: '/sys', parse: parseSysfsRoot },
  'log-level': { description: 'least severe log level written', valueName: 'LEVEL', env: 'CPU_EXPORTER_LOG_LEVEL', default: 'info', parse: choiceParser(LOG_LEVELS) },
} satisfies Record<string, FlagSpec<unknown>>;
