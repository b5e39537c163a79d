import { exporterFlags, FlagValueError, parseNonEmpty, type FlagSpecs } from '@proj/metrics-core/cli';
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

/** The CPU exporter's command line (docs/ARCHITECTURE.md, "Command line"). */
export const cpuExporterFlags = {
  ...exporterFlags({
    envPrefix: 'CPU_EXPORTER',
    port: 9510,
    intervalDescription: 'sampling interval; RAPL counters wrap every few minutes at full load, so keep it short',
  }),
  'sysfs-root': { description: 'sysfs mount point to read powercap from', valueName: 'PATH', env: 'CPU_EXPORTER_SYSFS_ROOT', default: '/sys', parse: parseSysfsRoot },
} satisfies FlagSpecs;
