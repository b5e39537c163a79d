// The metrics of the per-scrape-spawn baseline exporter (baseline-exporter.ts): the GPU exporter's names and units.

/** The gauges the GPU exporter serves, by nvidia-smi field (the same names and units). */
export const BASELINE_FIELDS: ReadonlyArray<readonly [field: string, metric: string, scale: number]> = [
  ['power.draw', 'gpu_power_draw_watts', 1],
  ['power.limit', 'gpu_power_limit_watts', 1],
  ['temperature.gpu', 'gpu_temperature_celsius', 1],
  ['utilization.gpu', 'gpu_utilization_percent', 1],
  ['utilization.memory', 'gpu_memory_utilization_percent', 1],
  ['utilization.encoder', 'gpu_encoder_utilization_percent', 1],
  ['utilization.decoder', 'gpu_decoder_utilization_percent', 1],
  ['memory.used', 'gpu_memory_used_bytes', 1048576],
  ['memory.total', 'gpu_memory_total_bytes', 1048576],
  ['clocks.current.graphics', 'gpu_clocks_graphics_mhz', 1],
  ['clocks.current.sm', 'gpu_clocks_sm_mhz', 1],
  ['clocks.current.memory', 'gpu_clocks_memory_mhz', 1],
];

const escapeLabel = (value: string) => value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/** Formats `nvidia-smi --query-gpu=index,name,uuid,<BASELINE_FIELDS> --format=csv,noheader,nounits` output. Pure. */
export function formatBaselineMetrics(csv: string): string {
  const rows = csv
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => line.split(', ').map((cell) => cell.trim()));
  const lines: string[] = [`# TYPE gpu_devices gauge`, `gpu_devices ${rows.length}`];
  BASELINE_FIELDS.forEach(([, metric, scale], i) => {
    lines.push(`# TYPE ${metric} gauge`);
    for (const row of rows) {
      const value = Number(row[3 + i]);
      if (row[3 + i] === undefined || !Number.isFinite(value)) continue; // [N/A] and the like: no series
      lines.push(`${metric}{gpu_id="${escapeLabel(row[0] ?? '')}",gpu_name="${escapeLabel(row[1] ?? '')}",gpu_uuid="${escapeLabel(row[2] ?? '')}"} ${value * scale}`);
    }
  });
  return `${lines.join('\n')}\n`;
}
