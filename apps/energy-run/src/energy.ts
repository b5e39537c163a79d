import { createHwmonEnergyMeter, openHwmon, type HwmonSensor } from '@proj/hwmon-reader';
import { createCcfLinearModel, type EstimateModel } from '@proj/power-estimate';
import { createEnergyMeter, openPowercap, type PowercapZone } from '@proj/rapl-reader';

/** What measured (or estimated) the host's CPU energy. */
export type EnergySourceKind = 'rapl' | 'hwmon' | 'estimate';

/** One zone of the energy source, labelled as the exporter labels it. */
export interface EnergyZone {
  /** Unique within the source: the sysfs zone id, the hwmon sensor key, `estimate`. */
  readonly key: string;
  readonly source: EnergySourceKind;
  readonly zone: string;
  readonly package?: string;
}

/** One zone's energy since the previous sample; null for a baseline, a reset, a gap or a failed read. */
export interface ZoneDelta {
  readonly key: string;
  readonly deltaJoules: number | null;
}

/** The host's CPU times between two samples, which the estimate needs. */
export interface BusyDelta {
  readonly deltaBusyTicks: number;
  readonly deltaTotalTicks: number;
}

/** The energy source chosen for a run. */
export interface CpuEnergySource {
  readonly kind: EnergySourceKind | null;
  readonly zones: readonly EnergyZone[];
  /** One line on how the source was chosen, for the report (what was tried and found). */
  readonly description: string;
  /** Reads every zone once at monotonic time `atMs`; `busy` is the host's CPU since the previous sample. */
  sample(atMs: number, busy: BusyDelta | null): ZoneDelta[] | Promise<ZoneDelta[]>;
}

/** Options for chooseEnergySource. */
export interface ChooseEnergySourceOptions {
  readonly sysfsRoot: string;
  /** CPUs of the host, for the estimate; null when /proc/stat did not say (no estimate then). */
  readonly cpuCount: number | null;
  /** Whether to fall back to the estimate. */
  readonly estimate: boolean;
  readonly now: () => number;
}

const rapl = async (options: ChooseEnergySourceOptions): Promise<CpuEnergySource | string> => {
  const powercap = openPowercap({ sysfsRoot: options.sysfsRoot });
  const { zones, error } = await powercap.discover();
  if (zones.length === 0) return error === undefined ? `no RAPL zones under ${powercap.classDir}` : `no RAPL (${error.message})`;
  const first = await powercap.read(zones, options.now);
  const readable = new Set(first.readings.map((reading) => reading.zone.id));
  const usable = zones.filter((zone) => readable.has(zone.id));
  if (usable.length === 0) {
    const why = first.failures[0]?.error.reason ?? 'unreadable';
    return `RAPL zones under ${powercap.classDir} cannot be read (${why}${why === 'permission_denied' ? ': energy_uj needs root' : ''})`;
  }
  const meter = createEnergyMeter();
  for (const reading of first.readings) meter.update(reading.zone.id, reading.energyUj, reading.atMs, reading.zone.maxEnergyRangeUj);
  const label = (zone: PowercapZone): EnergyZone =>
    zone.package === undefined ? { key: zone.id, source: 'rapl', zone: zone.zone } : { key: zone.id, source: 'rapl', zone: zone.zone, package: zone.package };
  return {
    kind: 'rapl',
    zones: usable.map(label),
    description: `RAPL, ${usable.length} zone${usable.length === 1 ? '' : 's'} under ${powercap.classDir}`,
    async sample(atMs) {
      const { readings } = await powercap.read(usable, () => atMs);
      const deltas = new Map<string, number | null>();
      for (const reading of readings) {
        const step = meter.update(reading.zone.id, reading.energyUj, reading.atMs, reading.zone.maxEnergyRangeUj);
        deltas.set(reading.zone.id, step.deltaUj === null ? null : step.deltaUj / 1e6);
      }
      // A zone that failed this time is a null interval; the meter keeps its baseline for the next read.
      return usable.map((zone) => ({ key: zone.id, deltaJoules: deltas.get(zone.id) ?? null }));
    },
  };
};

const hwmon = async (options: ChooseEnergySourceOptions): Promise<CpuEnergySource | string> => {
  const handle = openHwmon({ sysfsRoot: options.sysfsRoot, now: options.now });
  const { sensors } = await handle.discover();
  const sockets = sensors.filter((sensor): sensor is HwmonSensor & { socket: NonNullable<HwmonSensor['socket']> } => sensor.kind === 'energy' && sensor.socket !== undefined && sensor.socket !== null);
  if (sockets.length === 0) return 'no hwmon socket energy';
  const first = await handle.read(sockets);
  const meter = createHwmonEnergyMeter();
  const readable = new Set<string>();
  for (const reading of first.readings) {
    if (reading.kind !== 'energy') continue;
    readable.add(reading.sensor.key);
    meter.update(reading.sensor.key, reading.energyUj, reading.atMs);
  }
  const usable = sockets.filter((sensor) => readable.has(sensor.key));
  if (usable.length === 0) return `hwmon socket energy cannot be read (${first.failures[0]?.error.reason ?? 'unreadable'})`;
  return {
    kind: 'hwmon',
    zones: usable.map((sensor) => ({ key: sensor.key, source: 'hwmon', zone: sensor.socket.zone, package: sensor.socket.package })),
    description: `hwmon socket energy (${[...new Set(usable.map((sensor) => sensor.chip.chip))].join(', ')}); no RAPL`,
    async sample() {
      const { readings } = await handle.read(usable);
      const deltas = new Map<string, number | null>();
      for (const reading of readings) {
        if (reading.kind !== 'energy') continue;
        const step = meter.update(reading.sensor.key, reading.energyUj, reading.atMs);
        deltas.set(reading.sensor.key, step.deltaUj === null ? null : step.deltaUj / 1e6);
      }
      return usable.map((sensor) => ({ key: sensor.key, deltaJoules: deltas.get(sensor.key) ?? null }));
    },
  };
};

/** The estimate: a model of power from the busy ratio, integrated over each interval. */
export function estimateSource(model: EstimateModel, startMs: number, why: string): CpuEnergySource {
  let lastMs = startMs;
  return {
    kind: 'estimate',
    zones: [{ key: 'estimate', source: 'estimate', zone: 'cpu' }],
    description: `ESTIMATED from the CPU busy ratio (${model.model}), not measured: ${why}`,
    sample(atMs, busy) {
      const seconds = (atMs - lastMs) / 1000;
      lastMs = atMs;
      if (busy === null || !(busy.deltaTotalTicks > 0) || !(seconds > 0)) return [{ key: 'estimate', deltaJoules: null }];
      return [{ key: 'estimate', deltaJoules: model.powerWatts(busy.deltaBusyTicks / busy.deltaTotalTicks) * seconds }];
    },
  };
}

/**
 * The best CPU energy source present, as the exporter chooses (docs/ARCHITECTURE.md): RAPL, then hwmon socket
 * energy, then the estimate; or none (kind null) when there is nothing and the estimate is off or impossible.
 */
export async function chooseEnergySource(options: ChooseEnergySourceOptions): Promise<CpuEnergySource> {
  const fromRapl = await rapl(options);
  if (typeof fromRapl !== 'string') return fromRapl;
  const fromHwmon = await hwmon(options);
  if (typeof fromHwmon !== 'string') return { ...fromHwmon, description: `${fromHwmon.description} (${fromRapl})` };
  const why = `${fromRapl}, ${fromHwmon}`;
  if (options.estimate && options.cpuCount !== null) return estimateSource(createCcfLinearModel({ vcpus: options.cpuCount }), options.now(), why);
  return { kind: null, zones: [], description: `no energy source was found (${why}${options.estimate ? '' : ', estimate off'})`, sample: () => [] };
}
