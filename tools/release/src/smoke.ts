import { materializePowercapTree } from '@proj/fixtures';

/** What each app needs to serve /metrics on a machine with no RAPL and no GPU, and what that must show. */
export interface AppSmoke {
  /** The flags that point the exporter at test inputs; `cleanup` removes them. */
  prepare(): { args: string[]; cleanup(): void };
  /** Lines /metrics must contain. */
  readonly metrics: readonly RegExp[];
}

/** The fixture tree the CPU binary reads: 5 zones, symlinked like a real kernel's. */
export const CPU_SMOKE_TREE = 'intel-laptop-psys-symlinks';

/** Per app, keyed by the names in EXPORTER_APPS. */
export const APP_SMOKE: Readonly<Record<string, AppSmoke>> = {
  'cpu-exporter': {
    prepare() {
      const tree = materializePowercapTree(CPU_SMOKE_TREE);
      return { args: ['--sysfs-root', tree.root], cleanup: () => tree.remove() };
    },
    metrics: [/^rapl_zones_discovered 5$/m, /^rapl_available 1$/m, /^cpu_exporter_info\{.*\} 1$/m],
  },
  'gpu-exporter': {
    prepare: () => ({ args: ['--nvidia-smi', '/nonexistent'], cleanup: () => undefined }),
    metrics: [/^gpu_devices 0$/m, /^gpu_exporter_info\{.*\} 1$/m],
  },
};

/** The smoke inputs for `app`, or an error naming the table to extend. */
export function smokeFor(app: string): AppSmoke {
  const smoke = APP_SMOKE[app];
  if (smoke === undefined) throw new Error(`no smoke inputs for ${app}: add it to APP_SMOKE in tools/release/src/smoke.ts`);
  return smoke;
}
