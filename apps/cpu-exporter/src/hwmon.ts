import { performance } from 'node:perf_hooks';
import { silentLogger, type Collector, type HealthReport, type Logger, type SamplerTick } from '@proj/metrics-core/metrics';
import {
  createHwmonEnergyMeter,
  openHwmon,
  type HwmonDiscovery,
  type HwmonError,
  type HwmonErrorReason,
  type HwmonIo,
  type HwmonSensor,
} from '@proj/hwmon-reader';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { EnergyInterval, EnergySource, TickEnergy } from './collector.js';

/** Options for createHwmonCollector. */
export interface HwmonCollectorOptions {
  readonly sysfsRoot: string;
  readonly registry: Registry;
  readonly io?: HwmonIo;
  /** Monotonic clock for the readings, milliseconds. */
  readonly now?: () => number;
  readonly logger?: Logger;
  /** How often to look for chips again (a driver such as amd_energy loaded later, a chip gone). */
  readonly rediscoverEveryMs?: number;
}

/** Reads hwmon power and energy sensors each tick; its energy source is the CPU socket counters (Esocket*) only. */
export interface HwmonCollector extends Collector, EnergySource {
  /** Rediscovers when due, then reads every sensor once, one after another; resolves once the metrics are updated. */
  sample(tick?: SamplerTick): Promise<void>;
  health(): HealthReport;
  /** True when a CPU socket energy counter (amd_energy / zenergy `Esocket<N>`) was readable in the last sample. */
  socketEnergyLive(): boolean;
  /** True when any power or energy sensor was readable in the last sample. */
  live(): boolean;
}

const READ_ERROR_REASONS: readonly HwmonErrorReason[] = ['permission_denied', 'not_found', 'io_error', 'no_data', 'parse_error', 'other'];

type SensorLabels = { chip: string; sensor: string; label: string; device?: string };

/** The series labels of a sensor: `device` only where another chip has the same name, so both stay apart. */
export function hwmonLabelsOf(sensor: HwmonSensor): SensorLabels {
  const labels: SensorLabels = { chip: sensor.chip.chip, sensor: sensor.sensor, label: sensor.label };
  if (sensor.chip.duplicateName) labels.device = sensor.chip.device ?? sensor.chip.id;
  return labels;
}

/** A key that names a sensor's series, stable across rediscoveries (hwmonN may be renumbered, the labels are not). */
const seriesKey = (s: HwmonSensor): string => JSON.stringify(hwmonLabelsOf(s));

/**
 * Creates the hwmon collector: chip discovery (again every `rediscoverEveryMs`, and at once when a sensor answers
 * ENOENT), one read of every power and energy sensor per tick, `hwmon_power_watts`, `hwmon_energy_joules_total` and
 * `cpu_exporter_hwmon_read_errors_total{reason}`. A sensor that fails is left out of that sample (never 0).
 */
export function createHwmonCollector(options: HwmonCollectorOptions): HwmonCollector {
  const { sysfsRoot, registry } = options;
  const now = options.now ?? (() => performance.now());
  const hwmon = openHwmon({ sysfsRoot, now, ...(options.io === undefined ? {} : { io: options.io }) });
  const logger = options.logger ?? silentLogger;
  const rediscoverEveryMs = options.rediscoverEveryMs ?? 10_000;
  const meter = createHwmonEnergyMeter();
  const registers = [registry];

  const power = new Gauge({
    name: 'hwmon_power_watts',
    help: 'Power an hwmon sensor reports (powerN_input, or powerN_average over its averaging interval); what it covers depends on the chip: power_meter is the machine, amdgpu a GPU, zenpower a CPU rail.',
    labelNames: ['chip', 'sensor', 'label', 'device'],
    registers,
  });
  const energy = new Counter({
    name: 'hwmon_energy_joules_total',
    help: 'Energy an hwmon energy counter (energyN_input) gained since the exporter started; a counter that went down is a reset, skipped.',
    labelNames: ['chip', 'sensor', 'label', 'device'],
    registers,
  });
  const discovered = new Gauge({ name: 'hwmon_sensors_discovered', help: 'hwmon power and energy sensors found, readable or not.', registers });
  const readErrors = new Counter({
    name: 'cpu_exporter_hwmon_read_errors_total',
    help: 'hwmon sensor reads that failed, by reason (no_data: ACPI power meter answered "unknown"; parse_error: malformed value).',
    labelNames: ['reason'],
    registers,
  });
  const resets = new Counter({
    name: 'cpu_exporter_hwmon_energy_resets_total',
    help: 'hwmon energy intervals skipped because the counter went down (a driver reload or a wrap hwmon does not describe).',
    registers,
  });
  for (const reason of READ_ERROR_REASONS) readErrors.inc({ reason }, 0);

  let discovery: HwmonDiscovery = { chips: [], sensors: [], ignored: [] };
  let lastDiscoveryAtMs = Number.NEGATIVE_INFINITY;
  let rediscoverNow = true;
  let lastFailures = new Map<string, HwmonError>();
  let readable = 0;
  let socketReadable = 0;
  let lastEnergy: TickEnergy = { tickIndex: -1, intervals: [] };
  let samples = 0;

  const rediscover = async (atMs: number): Promise<void> => {
    const next = await hwmon.discover();
    lastDiscoveryAtMs = atMs;
    rediscoverNow = false;
    const before = new Map(discovery.sensors.map((s) => [seriesKey(s), s]));
    const after = new Map(next.sensors.map((s) => [seriesKey(s), s]));
    for (const [key, sensor] of before) {
      const still = after.get(key);
      if (still && still.key === sensor.key) continue;
      power.remove(hwmonLabelsOf(sensor));
      meter.forget(sensor.key);
      if (!still) logger.info('hwmon sensor gone', { chip: sensor.chip.chip, sensor: sensor.sensor, id: sensor.chip.id });
    }
    for (const [key, sensor] of after) {
      if (!before.has(key)) logger.info('hwmon sensor found', { chip: sensor.chip.chip, sensor: sensor.sensor, label: sensor.label, id: sensor.chip.id });
    }
    if (next.error && next.error.message !== discovery.error?.message) logger.warn('cannot list hwmon chips', { error: next.error.message });
    discovery = next;
    discovered.set(next.sensors.length);
  };

  return {
    async sample(tick) {
      const startedAtMs = now();
      if (rediscoverNow || startedAtMs - lastDiscoveryAtMs >= rediscoverEveryMs) await rediscover(startedAtMs);

      const { readings, failures } = await hwmon.read(discovery.sensors);
      const intervals: EnergyInterval[] = [];
      let sockets = 0;
      for (const reading of readings) {
        const labels = hwmonLabelsOf(reading.sensor);
        if (reading.kind === 'power') {
          power.set(labels, reading.powerWatts);
          continue;
        }
        const step = meter.update(reading.sensor.key, reading.energyUj, reading.atMs);
        energy.inc(labels, step.deltaUj === null ? 0 : step.deltaUj / 1e6);
        if (step.skipped === 'reset') {
          resets.inc();
          logger.warn('hwmon energy counter went down: interval skipped', { chip: reading.sensor.chip.chip, sensor: reading.sensor.sensor });
        }
        const socket = reading.sensor.socket;
        if (socket === undefined) continue;
        sockets++;
        if (step.deltaUj !== null && step.intervalMs !== null) {
          intervals.push({ source: 'hwmon', id: reading.sensor.key, zone: socket.zone, package: socket.package, deltaJoules: step.deltaUj / 1e6, intervalMs: step.intervalMs });
        }
      }

      const failuresNow = new Map<string, HwmonError>();
      for (const { sensor, error } of failures) {
        failuresNow.set(sensor.key, error);
        readErrors.inc({ reason: error.reason });
        // Absent, never 0: the reading is unknown, not zero.
        if (sensor.kind === 'power') power.remove(hwmonLabelsOf(sensor));
        if (error.reason === 'not_found') rediscoverNow = true;
        if (lastFailures.get(sensor.key)?.reason !== error.reason) {
          logger.warn('hwmon sensor unreadable', { chip: sensor.chip.chip, sensor: sensor.sensor, reason: error.reason, error: error.message });
        }
      }
      lastFailures = failuresNow;
      readable = readings.length;
      socketReadable = sockets;
      lastEnergy = { tickIndex: tick?.index ?? samples, intervals };
      samples++;
    },

    lastIntervals: () => lastEnergy,
    socketEnergyLive: () => socketReadable > 0,
    live: () => readable > 0,

    health() {
      const reasons: string[] = [];
      // The error names the directory (`<root>/class/hwmon: EACCES`): the reader owns it, the reason does not repeat it.
      if (discovery.error) reasons.push(`cannot list the hwmon chips: ${discovery.error.message}`);
      else if (lastFailures.size > 0) {
        const what = [...lastFailures].map(([key, error]) => `${key}: ${error.reason}`).join(', ');
        reasons.push(`${lastFailures.size} of ${discovery.sensors.length} hwmon sensors unreadable: ${what}`);
      }
      return {
        status: reasons.length === 0 ? 'ok' : 'degraded',
        reasons,
        details: {
          hwmon: discovery.sensors.map((s) => ({
            ...hwmonLabelsOf(s),
            id: s.key,
            kind: s.kind,
            ...(s.socket === undefined ? {} : { cpu_zone: s.socket.zone }),
            readable: !lastFailures.has(s.key),
          })),
        },
      };
    },
  };
}
