import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { which } from './binaries.js';

/** Whether this host's powercap can feed the CPU exporter. */
export interface HostPowercap {
  readonly usable: boolean;
  /** Why not, or which zones. */
  readonly detail: string;
}

/** Looks for at least one RAPL zone under `<sysfsRoot>/class/powercap` whose energy_uj this process can read. */
export function detectHostPowercap(sysfsRoot = '/sys'): HostPowercap {
  const dir = join(sysfsRoot, 'class', 'powercap');
  let entries: string[];
  try {
    entries = readdirSync(dir).filter((name) => name.startsWith('intel-rapl:'));
  } catch {
    return { usable: false, detail: `${dir} does not exist` };
  }
  if (entries.length === 0) return { usable: false, detail: `${dir} has no intel-rapl zones` };
  const readable = entries.filter((name) => {
    try {
      return /^\d+\s*$/.test(readFileSync(join(dir, name, 'energy_uj'), 'utf8'));
    } catch {
      return false;
    }
  });
  if (readable.length === 0) return { usable: false, detail: `no energy_uj under ${dir} is readable (root only since CVE-2020-8694)` };
  return { usable: true, detail: `${readable.length} readable zones under ${dir}` };
}

/** The host's nvidia-smi when it is on PATH and lists at least one GPU; undefined otherwise. */
export function detectNvidiaSmi(path = process.env.PATH): string | undefined {
  const found = which('nvidia-smi', path);
  if (!found) return undefined;
  const run = spawnSync(found, ['-L'], { timeout: 10_000, encoding: 'utf8' });
  return run.status === 0 && /^GPU \d+:/m.test(run.stdout) ? found : undefined;
}
