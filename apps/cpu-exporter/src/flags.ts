import { choiceParser, DEFAULT_ATTRIBUTE_PROCESSES, durationParser, exporterFlags, FlagValueError, parseDirectory, parseNonEmpty, parseOptionalRegex, type FlagSpecs } from '@proj/metrics-core/cli';
import { ESTIMATE_MODEL_NAMES, parseEstimateModelName, type EstimateModelName } from '@proj/power-estimate';

/** `true` or `false` (flags take a value here, so the environment and the command line read alike). */
function parseOnOff(raw: string): boolean {
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  throw new FlagValueError(`${JSON.stringify(raw)} is not true or false`);
}

/** An estimate model name (`ccf_linear`, `teads_curve`; `-` for `_` accepted). */
function parseEstimateModel(raw: string): EstimateModelName {
  try {
    return parseEstimateModelName(raw);
  } catch {
    throw new FlagValueError(`${JSON.stringify(raw)} is not one of ${ESTIMATE_MODEL_NAMES.join(', ')}`);
  }
}

/** Watts above 0, or null for an empty value (not set). */
function parseOptionalWatts(raw: string): number | null {
  if (raw.trim() === '') return null;
  const watts = Number(raw);
  if (!Number.isFinite(watts) || !(watts > 0)) throw new FlagValueError(`${JSON.stringify(raw)} is not a power in watts above 0`);
  return watts;
}

/** The CPU exporter's command line (docs/ARCHITECTURE.md, "Command line"). */
export const cpuExporterFlags = {
  ...exporterFlags({
    envPrefix: 'CPU_EXPORTER',
    port: 9510,
    intervalDescription: 'sampling interval; RAPL counters wrap every few minutes at full load, so keep it short',
  }),
  'sysfs-root': { description: 'sysfs mount point to read powercap from', valueName: 'PATH', env: 'CPU_EXPORTER_SYSFS_ROOT', default: '/sys', parse: parseDirectory },
  'procfs-root': { description: 'procfs mount point to read CPU times from (attribution)', valueName: 'PATH', env: 'CPU_EXPORTER_PROCFS_ROOT', default: '/proc', parse: parseDirectory },
  'attribute-processes': {
    description: "attribute CPU energy to processes whose comm matches this regular expression; '' turns it off",
    valueName: 'REGEX',
    env: 'CPU_EXPORTER_ATTRIBUTE_PROCESSES',
    default: DEFAULT_ATTRIBUTE_PROCESSES as RegExp | null,
    defaultText: DEFAULT_ATTRIBUTE_PROCESSES.source,
    parse: parseOptionalRegex,
  },
  'attribute-containers': { description: 'attribute CPU energy to containers (the sum of their processes)', valueName: 'true|false', env: 'CPU_EXPORTER_ATTRIBUTE_CONTAINERS', default: true, parse: parseOnOff },
  'cgroup-root': { description: 'where the cgroup filesystems are mounted (cgroup attribution)', valueName: 'PATH', env: 'CPU_EXPORTER_CGROUP_ROOT', default: '/sys/fs/cgroup', parse: parseNonEmpty },
  'attribute-cgroups': {
    description: "attribute CPU energy to cgroups whose path relative to their hierarchy's root matches this regular expression ('': off)",
    valueName: 'REGEX',
    env: 'CPU_EXPORTER_ATTRIBUTE_CGROUPS',
    default: null as RegExp | null,
    defaultText: "''",
    parse: parseOptionalRegex,
  },
  hwmon: { description: 'read hwmon power and energy sensors under --sysfs-root (ACPI power meter, amd_energy, zenergy, amdgpu, ...)', valueName: 'true|false', env: 'CPU_EXPORTER_HWMON', default: true, parse: parseOnOff },
  ipmi: {
    description: "read the BMC's DCMI power (the whole machine at the wall): auto = on when /dev/ipmi0 exists and --ipmitool or ipmi-dcmi is on PATH",
    valueName: 'off|on|auto',
    env: 'CPU_EXPORTER_IPMI',
    default: 'off' as 'off' | 'on' | 'auto',
    parse: choiceParser(['off', 'on', 'auto'] as const),
  },
  ipmitool: { description: "ipmitool to run (a path or a name on PATH); a program named ipmi-dcmi is run as FreeIPMI's", valueName: 'PATH', env: 'CPU_EXPORTER_IPMITOOL', default: 'ipmitool', parse: parseNonEmpty },
  'ipmi-interval': { description: 'time between DCMI power reads (the BMC is slow)', valueName: 'DURATION', env: 'CPU_EXPORTER_IPMI_INTERVAL', default: 5000, defaultText: '5s', parse: durationParser(1000, 300_000) },
  'ipmi-timeout': { description: "a DCMI read taking longer is killed (its whole process group)", valueName: 'DURATION', env: 'CPU_EXPORTER_IPMI_TIMEOUT', default: 10_000, defaultText: '10s', parse: durationParser(500, 120_000) },
  'estimate-model': {
    description: 'CPU power estimate model: ccf_linear (vCPUs x (0.74 W + busy x 2.76 W)) or teads_curve (needs --estimate-tdp-watts)',
    valueName: 'MODEL',
    env: 'CPU_EXPORTER_ESTIMATE_MODEL',
    default: 'ccf_linear' as EstimateModelName,
    parse: parseEstimateModel,
  },
  'estimate-tdp-watts': { description: "the CPU's TDP, all sockets together, for --estimate-model teads_curve", valueName: 'WATTS', env: 'CPU_EXPORTER_ESTIMATE_TDP_WATTS', default: null as number | null, defaultText: "''", parse: parseOptionalWatts },
} satisfies FlagSpecs;
