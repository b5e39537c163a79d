import { runExporterMain } from '@proj/metrics-core/cli';
import { createCpuExporter } from './exporter.js';
import { cpuExporterFlags } from './flags.js';
import { resolveIpmi } from './ipmi.js';

declare const __EXPORTER_VERSION__: string | undefined;
/** Set at build time from package.json. */
const VERSION = typeof __EXPORTER_VERSION__ === 'string' ? __EXPORTER_VERSION__ : '0.0.0-dev';

runExporterMain({
  info: {
    program: 'cpu_exporter',
    version: VERSION,
    description:
      'Serves Intel/AMD RAPL power (rapl_power_watts) and energy (rapl_energy_joules_total) from Linux powercap\n' +
      'sysfs on /metrics, beside hwmon sensors, IPMI DCMI wall power (--ipmi) and a labelled CPU power estimate, and\n' +
      'splits CPU energy over processes, containers and cgroups (energy_*). Reading energy_uj needs root.',
  },
  flags: cpuExporterFlags,
  create: (flags, logger) => {
    if (flags['estimate-model'] === 'teads_curve' && flags['estimate-tdp-watts'] === null) {
      // A flag error like the others (exit 2, one line): no default TDP fits every CPU.
      process.stderr.write('cpu_exporter: --estimate-tdp-watts: needed with --estimate-model teads_curve (the CPU\'s TDP in watts)\n');
      process.exit(2);
    }
    const ipmi = resolveIpmi({ mode: flags.ipmi, command: flags.ipmitool, pathEnv: process.env['PATH'] });
    logger.info('IPMI DCMI', { enabled: ipmi.enabled, why: ipmi.why });
    return createCpuExporter({
      sysfsRoot: flags['sysfs-root'],
      intervalMs: flags.interval,
      version: VERSION,
      logger,
      attribution: {
        procfsRoot: flags['procfs-root'],
        processes: flags['attribute-processes'],
        containers: flags['attribute-containers'],
        cgroupRoot: flags['cgroup-root'],
        cgroups: flags['attribute-cgroups'],
      },
      sources: {
        hwmon: flags.hwmon,
        ipmi: { ...ipmi, intervalMs: flags['ipmi-interval'], timeoutMs: flags['ipmi-timeout'] },
        procfsRoot: flags['procfs-root'],
        estimateModel: flags['estimate-model'],
        ...(flags['estimate-tdp-watts'] === null ? {} : { estimateTdpWatts: flags['estimate-tdp-watts'] }),
      },
    });
  },
});
