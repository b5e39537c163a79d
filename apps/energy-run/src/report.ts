import { attributeEnergy } from '@proj/attribution';
import type { AccountingMethod } from './accounting.js';
import type { EnergySourceKind, EnergyZone, ZoneDelta } from './energy.js';
import type { GpuEnergy } from './gpu.js';

/** What one sample of a run read. */
export interface TickRecord {
  readonly atMs: number;
  /** `/proc/stat` busy and total ticks (all CPUs); null when it could not be read. */
  readonly busyTicks: number | null;
  readonly totalTicks: number | null;
  /** Each zone's energy since the previous sample. */
  readonly energy: readonly ZoneDelta[];
}

/** One zone's energy over the run. */
export interface ZoneJoules {
  readonly source: EnergySourceKind;
  readonly zone: string;
  readonly package?: string;
  readonly joules: number;
}

/** The host's energy and the command's share, per zone. */
export interface RunAttribution {
  readonly host: ZoneJoules[];
  readonly attributed: ZoneJoules[];
}

/**
 * Sums each zone's energy over the run and the command's share of it, interval by interval with @proj/attribution:
 * share = ΔE x Δcpu(cmd) / Δtotal, with Δcpu(cmd) (seconds, one per interval after the first sample) turned into
 * clock ticks at `userHz`. An interval without /proc/stat counts for the host but gives no share. Pure.
 */
export function attributeRun(ticks: readonly TickRecord[], zones: readonly EnergyZone[], commandCpuSeconds: readonly number[], userHz: number): RunAttribution {
  const host = new Map(zones.map((zone) => [zone.key, 0]));
  const share = new Map(zones.map((zone) => [zone.key, 0]));
  for (let i = 1; i < ticks.length; i++) {
    const tick = ticks[i]!;
    const previous = ticks[i - 1]!;
    const counters = tick.busyTicks !== null && tick.totalTicks !== null && previous.busyTicks !== null && previous.totalTicks !== null;
    const deltaBusy = counters ? tick.busyTicks! - previous.busyTicks! : 0;
    const deltaTotal = counters ? tick.totalTicks! - previous.totalTicks! : 0;
    const cpuTicks = (commandCpuSeconds[i - 1] ?? 0) * userHz;
    for (const { key, deltaJoules } of tick.energy) {
      if (deltaJoules === null || !host.has(key)) continue;
      host.set(key, host.get(key)! + deltaJoules);
      if (!counters) continue;
      const { sharesJoules } = attributeEnergy(deltaJoules, deltaBusy, deltaTotal, [cpuTicks]);
      share.set(key, share.get(key)! + (sharesJoules[0] ?? 0));
    }
  }
  const label = (zone: EnergyZone, joules: number): ZoneJoules =>
    zone.package === undefined ? { source: zone.source, zone: zone.zone, joules } : { source: zone.source, zone: zone.zone, package: zone.package, joules };
  return {
    host: zones.map((zone) => label(zone, host.get(zone.key)!)),
    attributed: zones.map((zone) => label(zone, share.get(zone.key)!)),
  };
}

/** Everything a finished run reports. */
export interface RunResult {
  readonly command: readonly string[];
  readonly exitCode: number;
  readonly wallSeconds: number;
  readonly cpuSeconds: number;
  readonly accounting: {
    readonly method: AccountingMethod;
    readonly description: string;
    readonly cgroup?: string;
    /** The wrapper's reaped children's CPU time, seconds: a second opinion beside a cgroup. */
    readonly rusageCpuSeconds?: number;
  };
  readonly energySource: { readonly kind: EnergySourceKind | null; readonly description: string };
  readonly intervalMs: number;
  readonly samples: number;
  readonly cpuCount: number | null;
  readonly attribution: RunAttribution;
  /** null when nvidia-smi did not answer; `gpuReason` says why. */
  readonly gpus: readonly GpuEnergy[] | null;
  readonly gpuReason?: string;
  readonly notes: readonly string[];
}

const watts = (joules: number, seconds: number): number => (seconds > 0 ? joules / seconds : 0);

/** The JSON document of `--json`. Pure. */
export function runJson(result: RunResult): unknown {
  const zone = (z: ZoneJoules, withWatts: boolean) => ({
    source: z.source,
    zone: z.zone,
    ...(z.package === undefined ? {} : { package: z.package }),
    joules: z.joules,
    ...(withWatts ? { watts: watts(z.joules, result.wallSeconds) } : {}),
  });
  return {
    command: result.command,
    exitCode: result.exitCode,
    wallSeconds: result.wallSeconds,
    cpuSeconds: result.cpuSeconds,
    accounting: result.accounting,
    energySource: result.energySource,
    intervalMs: result.intervalMs,
    samples: result.samples,
    cpuCount: result.cpuCount,
    host: result.attribution.host.map((z) => zone(z, false)),
    attributed: result.attribution.attributed.map((z) => zone(z, true)),
    gpus: (result.gpus ?? []).map((gpu) => ({ gpu_id: gpu.gpuId, gpu_uuid: gpu.gpuUuid, joules: gpu.joules, attributed_joules: gpu.attributedJoules })),
    notes: result.notes,
  };
}

const quote = (word: string): string => (/^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`);

/** The perf-stat-like table written to standard error at the end. Pure. */
export function formatRunTable(result: RunResult): string {
  const lines: string[] = [];
  const { wallSeconds, cpuSeconds } = result;
  lines.push('', ` Energy stats for '${result.command.map(quote).join(' ')}':`, '');
  lines.push(`  ${wallSeconds.toFixed(3).padStart(14)} s    wall time`);
  const cpus = wallSeconds > 0 ? ` (${(cpuSeconds / wallSeconds).toFixed(2)} CPUs utilized)` : '';
  lines.push(`  ${cpuSeconds.toFixed(3).padStart(14)} s    CPU time of the command and all its descendants${cpus}`);
  lines.push('');
  const where = (z: ZoneJoules) => `${z.source} ${z.zone}${z.package === undefined ? '' : ` (package ${z.package})`}`;
  if (result.energySource.kind === null) {
    lines.push('  no energy source was found: CPU time only (no RAPL, no hwmon socket energy, no estimate)');
  } else {
    if (result.energySource.kind === 'estimate') lines.push('  NOTE: no energy meter here; the joules below are an ESTIMATE from the CPU busy ratio, not a measurement');
    for (const z of result.attribution.host) lines.push(`  ${z.joules.toFixed(3).padStart(14)} J    host energy, ${where(z)}   ${watts(z.joules, wallSeconds).toFixed(2)} W`);
    result.attribution.attributed.forEach((z, i) => {
      const hostJoules = result.attribution.host[i]?.joules ?? 0;
      const percent = hostJoules > 0 ? ` (${((100 * z.joules) / hostJoules).toFixed(1)} % of host)` : '';
      lines.push(`  ${z.joules.toFixed(3).padStart(14)} J    the command's share, ${where(z)}   ${watts(z.joules, wallSeconds).toFixed(2)} W${percent}`);
    });
  }
  if (result.gpus !== null) {
    for (const gpu of result.gpus) {
      lines.push(`  ${gpu.joules.toFixed(3).padStart(14)} J    GPU ${gpu.gpuId} ${gpu.gpuUuid}   ${watts(gpu.joules, wallSeconds).toFixed(2)} W`);
      const share = gpu.pmonSamples > 0 ? `${watts(gpu.attributedJoules, wallSeconds).toFixed(2)} W (${gpu.pmonSamples} pmon intervals)` : 'no pmon interval arrived: none attributed';
      lines.push(`  ${gpu.attributedJoules.toFixed(3).padStart(14)} J    the command's share, GPU ${gpu.gpuId}   ${share}`);
    }
  }
  lines.push('');
  lines.push(`  energy:     ${result.energySource.description}`);
  lines.push(`  CPU time:   ${result.accounting.method}, ${result.accounting.description}${result.accounting.cgroup ? ` (${result.accounting.cgroup}, removed)` : ''}`);
  if (result.accounting.rusageCpuSeconds !== undefined && result.accounting.method.startsWith('cgroup')) {
    lines.push(`              reaped children's times for comparison: ${result.accounting.rusageCpuSeconds.toFixed(3)} s`);
  }
  lines.push(`  sampling:   every ${result.intervalMs} ms, ${result.samples} samples, ${result.cpuCount ?? '?'} CPUs; share = ΔE x Δcpu(command) / Δcpu(all CPUs) per interval and zone`);
  lines.push(`  GPU:        ${result.gpus === null ? (result.gpuReason ?? 'none') : `nvidia-smi power integrated over time; the command's share by pmon sm+enc+dec of its process tree`}`);
  for (const note of result.notes) lines.push(`  note:       ${note}`);
  lines.push('');
  return `${lines.join('\n')}\n`;
}
