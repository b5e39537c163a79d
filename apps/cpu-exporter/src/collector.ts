import { performance } from 'node:perf_hooks';
import { silentLogger, type Collector, type HealthReport, type Logger, type SamplerTick } from '@proj/metrics-core/metrics';
import {
  createEnergyMeter,
  openPowercap,
  type PowercapZone,
  type RaplError,
  type RaplErrorReason,
  type SysfsIo,
  type ZoneDiscovery,
} from '@proj/rapl-reader';
import { Counter, Gauge, type Registry } from 'prom-client';

/** Options for createRaplCollector. */
export interface RaplCollectorOptions {
  readonly sysfsRoot: string;
  readonly registry: Registry;
  readonly io?: SysfsIo;
  /** Monotonic clock for the readings, milliseconds. */
  readonly now?: () => number;
  readonly logger?: Logger;
  /** How often to look for zones again (a driver loaded later, a zone gone). */
  readonly rediscoverEveryMs?: number;
  /** Readings further apart than this are not trusted across a wrap (see createEnergyMeter). */
  readonly maxGapMs?: number;
}

/** The energy one zone used over one tick's interval: what an energy consumer (attribution) starts from. */
export interface EnergyInterval {
  /** What measured it: `rapl` here; `hwmon` and `estimate` for the sources after it. */
  readonly source: 'rapl' | 'hwmon' | 'estimate';
  /** The sysfs zone id, e.g. `intel-rapl:0`. */
  readonly id: string;
  readonly zone: string;
  readonly package?: string;
  /** Wrap-corrected energy over the interval. */
  readonly deltaJoules: number;
  /** Monotonic time between the two readings. */
  readonly intervalMs: number;
}

/** The energy intervals of one tick. */
export interface TickEnergy {
  /** The sampler tick they were read in; a consumer sampled after the producer sees its own tick's index here. */
  readonly tickIndex: number;
  /** One per zone that has a trustworthy interval this tick (none for a first reading, a reset, a gap, a failure). */
  readonly intervals: readonly EnergyInterval[];
}

/** Something that measured energy this tick; the RAPL collector, and later hwmon or the estimate. */
export interface EnergySource {
  /** The intervals of the latest sample; empty before the first. */
  lastIntervals(): TickEnergy;
}

/** Reads RAPL zones into the registry's metrics, one call per sampler tick, and hands its intervals on. */
export interface RaplCollector extends Collector, EnergySource {
  /**
   * Reads every zone once and updates every metric. Never reads anything at scrape time. Asynchronous: the reads
   * run on the thread pool, one zone after another, so a read stuck in the kernel holds one pool thread while the
   * event loop goes on answering HTTP and signals; the sampler awaits it before the collectors after it run.
   */
  sample(tick?: SamplerTick): Promise<void>;
  /** What /health says about RAPL. */
  health(): HealthReport;
}

const READ_ERROR_REASONS: readonly RaplErrorReason[] = ['permission_denied', 'not_found', 'io_error', 'no_data', 'parse_error', 'other'];
const SKIP_REASONS = ['reset', 'gap'] as const;

type ZoneLabels = { zone: string; package?: string };

const labelsOf = (zone: PowercapZone): ZoneLabels => (zone.package === undefined ? { zone: zone.zone } : { zone: zone.zone, package: zone.package });

/**
 * Creates the RAPL collector: zone discovery (again every `rediscoverEveryMs`, so a driver loaded later is
 * found), energy reads with wrap correction, and the `rapl_*` and `cpu_exporter_read_errors_total` metrics.
 */
export function createRaplCollector(options: RaplCollectorOptions): RaplCollector {
  const { sysfsRoot, registry } = options;
  const powercap = openPowercap(options.io === undefined ? { sysfsRoot } : { sysfsRoot, io: options.io });
  const now = options.now ?? (() => performance.now());
  const logger = options.logger ?? silentLogger;
  const rediscoverEveryMs = options.rediscoverEveryMs ?? 10_000;
  const meter = createEnergyMeter(options.maxGapMs === undefined ? {} : { maxGapMs: options.maxGapMs });
  const registers = [registry];

  const power = new Gauge({
    name: 'rapl_power_watts',
    help: 'Average power of a RAPL zone over the last sampler interval (wrap-corrected energy delta / monotonic time).',
    labelNames: ['zone', 'package'],
    registers,
  });
  const energy = new Counter({
    name: 'rapl_energy_joules_total',
    help: 'Energy used by a RAPL zone since the exporter started, corrected across counter wraparound.',
    labelNames: ['zone', 'package'],
    registers,
  });
  const available = new Gauge({ name: 'rapl_available', help: '1 when at least one RAPL zone was readable in the last sample.', registers });
  const discovered = new Gauge({
    name: 'rapl_zones_discovered',
    help: 'RAPL zones found under the powercap class, each physical zone once, readable or not.',
    registers,
  });
  const readErrors = new Counter({
    name: 'cpu_exporter_read_errors_total',
    help: 'Zone reads that failed, by reason (permission_denied: energy_uj is root-only; parse_error: malformed value).',
    labelNames: ['reason'],
    registers,
  });
  const skipped = new Counter({
    name: 'cpu_exporter_energy_intervals_skipped_total',
    help: 'Intervals left out of energy and power: reset (counter went down with no usable max_energy_range_uj), gap (readings too far apart to correct a wrap).',
    labelNames: ['reason'],
    registers,
  });
  for (const reason of READ_ERROR_REASONS) readErrors.inc({ reason }, 0);
  for (const reason of SKIP_REASONS) skipped.inc({ reason }, 0);

  let discovery: ZoneDiscovery = { zones: [], ignored: [], notExported: [], collisions: [] };
  let lastDiscoveryAtMs = Number.NEGATIVE_INFINITY;
  let rediscoverNow = true;
  let lastFailures = new Map<string, RaplError>();
  let lastReadable = 0;
  let lastEnergy: TickEnergy = { tickIndex: -1, intervals: [] };
  let samples = 0;

  const rediscover = async (atMs: number): Promise<void> => {
    const next = await powercap.discover();
    const first = lastDiscoveryAtMs === Number.NEGATIVE_INFINITY;
    lastDiscoveryAtMs = atMs;
    rediscoverNow = false;
    const before = new Map(discovery.zones.map((z) => [z.id, z]));
    const after = new Map(next.zones.map((z) => [z.id, z]));
    for (const [id, zone] of before) {
      const still = after.get(id);
      if (still && still.zone === zone.zone && still.package === zone.package) continue;
      power.remove(labelsOf(zone));
      // A zone that comes back continues from its last reading: the hardware counter ran on while it was away, and
      // the meter's gap and plausibility rules already refuse an interval too long or a counter that was reset.
      // Only an id that now names another zone starts over.
      if (still) meter.forget(id);
      logger.info('RAPL zone gone', { id, zone: zone.zone, package: zone.package });
    }
    for (const [id, zone] of after) {
      if (before.has(id)) continue;
      logger.info('RAPL zone found', { id, zone: zone.zone, package: zone.package, max_energy_range_uj: zone.maxEnergyRangeUj ?? 'unusable' });
      if (zone.maxEnergyRangeError) logger.warn('RAPL zone has no usable max_energy_range_uj: a decrease will be treated as a reset', { id, error: zone.maxEnergyRangeError.message });
    }
    if (next.error && next.error.message !== discovery.error?.message) logger.warn('cannot list powercap zones', { error: next.error.message });
    if (next.zones.length === 0 && (first || before.size > 0)) {
      logger.warn('no RAPL zones: serving rapl_available 0 and looking again', { powercap: powercap.classDir, every_s: rediscoverEveryMs / 1000 });
    }
    discovery = next;
    discovered.set(next.zones.length);
  };

  return {
    async sample(tick) {
      const startedAtMs = now();
      if (rediscoverNow || startedAtMs - lastDiscoveryAtMs >= rediscoverEveryMs) await rediscover(startedAtMs);

      // Each reading carries the time right after its own read (see rapl-reader's readEnergy).
      const { readings, failures } = await powercap.read(discovery.zones, now);
      const intervals: EnergyInterval[] = [];
      for (const { zone, energyUj, atMs } of readings) {
        const step = meter.update(zone.id, energyUj, atMs, zone.maxEnergyRangeUj);
        const labels = labelsOf(zone);
        energy.inc(labels, step.deltaUj === null ? 0 : step.deltaUj / 1e6);
        if (step.deltaUj !== null && step.intervalMs !== null) {
          intervals.push({ source: 'rapl', id: zone.id, ...labels, deltaJoules: step.deltaUj / 1e6, intervalMs: step.intervalMs });
        }
        if (step.powerWatts === null) power.remove(labels);
        else power.set(labels, step.powerWatts);
        if (step.skipped === 'reset' || step.skipped === 'gap') {
          skipped.inc({ reason: step.skipped });
          logger.warn('energy interval skipped', { id: zone.id, reason: step.skipped, energy_uj: energyUj });
        }
      }

      const failuresNow = new Map<string, RaplError>();
      for (const { zone, error } of failures) {
        failuresNow.set(zone.id, error);
        readErrors.inc({ reason: error.reason });
        power.remove(labelsOf(zone));
        if (error.reason === 'not_found') rediscoverNow = true;
        // Log when a zone starts failing or fails differently, not every second.
        if (lastFailures.get(zone.id)?.reason !== error.reason) logger.warn('RAPL zone unreadable', { id: zone.id, reason: error.reason, error: error.message });
      }
      for (const id of lastFailures.keys()) {
        if (!failuresNow.has(id) && discovery.zones.some((z) => z.id === id)) logger.info('RAPL zone readable again', { id });
      }
      lastFailures = failuresNow;
      lastReadable = readings.length;
      available.set(readings.length > 0 ? 1 : 0);
      lastEnergy = { tickIndex: tick?.index ?? samples, intervals };
      samples++;
    },

    lastIntervals: () => lastEnergy,

    health() {
      const zones = discovery.zones;
      const reasons: string[] = [];
      const { classDir } = powercap;
      // The error names the directory (`<root>/class/powercap: EACCES`): the reason does not repeat it.
      if (discovery.error) reasons.push(`cannot list the powercap zones: ${discovery.error.message}`);
      else if (zones.length === 0) {
        reasons.push(
          `no RAPL zones under ${classDir} (no powercap driver such as intel_rapl_msr loaded, a VM, or the host's /sys not mounted); looking again every ${rediscoverEveryMs / 1000} s`,
        );
      } else if (lastFailures.size > 0) {
        const what = [...lastFailures].map(([id, error]) => `${id}: ${error.reason}`).join(', ');
        const hint = [...lastFailures.values()].some((e) => e.reason === 'permission_denied')
          ? ' (energy_uj is readable by root only since CVE-2020-8694: run the exporter as root)'
          : '';
        reasons.push(`${lastFailures.size} of ${zones.length} RAPL zones unreadable: ${what}${hint}`);
      }
      // Distinct zones whose names give the same label are kept apart (the later one's label carries its id): say
      // which, since that label is not the one a dashboard would guess from the name.
      const collisions = discovery.collisions.map((c) => ({ id: c.id, zone: c.zone, collides_with: c.collidesWith }));
      return {
        status: reasons.length === 0 ? 'ok' : 'degraded',
        reasons,
        details: {
          sysfs_root: sysfsRoot,
          rapl_available: lastReadable > 0,
          zones: zones.map((z) => ({
            id: z.id,
            zone: z.zone,
            ...(z.package === undefined ? {} : { package: z.package }),
            readable: !lastFailures.has(z.id),
          })),
          ...(collisions.length === 0 ? {} : { zone_label_collisions: collisions }),
        },
      };
    },
  };
}
