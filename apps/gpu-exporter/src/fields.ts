import type { HelpQueryGpu } from '@proj/nvsmi-parser';

/** A per-GPU metric and the nvidia-smi field it comes from. */
export interface GpuMetricSpec {
  /** Canonical `--query-gpu` field name (the driver's help lists it first). */
  readonly field: string;
  readonly metric: string;
  readonly help: string;
  /** Multiplier from nvidia-smi's unit to the metric's (MiB -> bytes, us -> seconds). */
  readonly scale?: number;
}

const MIB = 1048576;

/** Every per-GPU metric the exporter can serve, in exposition order (docs/ARCHITECTURE.md, "Metric contract"). */
export const GPU_METRICS: readonly GpuMetricSpec[] = [
  { field: 'power.draw', metric: 'gpu_power_draw_watts', help: 'Board power draw (nvidia-smi power.draw; a 1 s average on Ampere and newer).' },
  { field: 'power.draw.instant', metric: 'gpu_power_draw_instant_watts', help: 'Instantaneous board power draw (nvidia-smi power.draw.instant).' },
  { field: 'power.limit', metric: 'gpu_power_limit_watts', help: 'Power limit (nvidia-smi power.limit).' },
  { field: 'temperature.gpu', metric: 'gpu_temperature_celsius', help: 'Core GPU temperature (nvidia-smi temperature.gpu).' },
  { field: 'utilization.gpu', metric: 'gpu_utilization_percent', help: 'Percent of time a kernel ran over the last sample period (nvidia-smi utilization.gpu).' },
  { field: 'utilization.memory', metric: 'gpu_memory_utilization_percent', help: 'Percent of time device memory was read or written (nvidia-smi utilization.memory).' },
  { field: 'utilization.encoder', metric: 'gpu_encoder_utilization_percent', help: 'NVENC encoder utilisation (nvidia-smi utilization.encoder).' },
  { field: 'utilization.decoder', metric: 'gpu_decoder_utilization_percent', help: 'NVDEC decoder utilisation (nvidia-smi utilization.decoder).' },
  { field: 'encoder.stats.sessionCount', metric: 'gpu_encoder_sessions', help: 'Encoder sessions running on the GPU (nvidia-smi encoder.stats.sessionCount).' },
  { field: 'encoder.stats.averageFps', metric: 'gpu_encoder_average_fps', help: 'Average frames per second of all encoder sessions (nvidia-smi encoder.stats.averageFps).' },
  {
    field: 'encoder.stats.averageLatency',
    metric: 'gpu_encoder_average_latency_seconds',
    help: 'Average latency of all encoder sessions (nvidia-smi encoder.stats.averageLatency, microseconds).',
    scale: 1e-6,
  },
  { field: 'memory.used', metric: 'gpu_memory_used_bytes', help: 'Device memory used (nvidia-smi memory.used, MiB x 1048576).', scale: MIB },
  { field: 'memory.total', metric: 'gpu_memory_total_bytes', help: 'Device memory in total (nvidia-smi memory.total, MiB x 1048576).', scale: MIB },
  { field: 'clocks.current.graphics', metric: 'gpu_clocks_graphics_mhz', help: 'Graphics clock (nvidia-smi clocks.current.graphics).' },
  { field: 'clocks.current.sm', metric: 'gpu_clocks_sm_mhz', help: 'SM clock (nvidia-smi clocks.current.sm).' },
  { field: 'clocks.current.memory', metric: 'gpu_clocks_memory_mhz', help: 'Memory clock (nvidia-smi clocks.current.memory).' },
  { field: 'clocks.current.video', metric: 'gpu_clocks_video_mhz', help: 'Video encoder/decoder clock (nvidia-smi clocks.current.video).' },
];

/** The fields that label every series: `gpu_id`, `gpu_name`, `gpu_uuid`. */
export const LABEL_FIELDS = ['index', 'name', 'uuid'] as const;

/** The fields to query on a driver, and the metrics that are out of reach on it. */
export interface FieldSelection {
  /** `--query-gpu` list: the label fields first (index first, so the stream parser can see where a tick starts). */
  readonly fields: readonly string[];
  readonly metrics: readonly GpuMetricSpec[];
  /** Metrics this driver cannot answer (its --help-query-gpu does not list their field). */
  readonly unsupported: readonly GpuMetricSpec[];
  /** Label fields the driver lacks: without them the exporter cannot label series. */
  readonly missingLabels: readonly string[];
}

/**
 * Picks the fields this driver knows: one unknown field fails the whole query, so nothing is asked that the driver's
 * `--help-query-gpu` does not list. Pure.
 */
export function selectFields(help: HelpQueryGpu): FieldSelection {
  const known = (field: string) => help.byName.has(field);
  const metrics = GPU_METRICS.filter((spec) => known(spec.field));
  return {
    fields: [...LABEL_FIELDS.filter(known), ...metrics.map((spec) => spec.field)],
    metrics,
    unsupported: GPU_METRICS.filter((spec) => !known(spec.field)),
    missingLabels: LABEL_FIELDS.filter((field) => !known(field)),
  };
}
