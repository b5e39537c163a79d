import { Counter, Gauge, type Registry } from 'prom-client';

/**
 * Registers `process_resident_memory_bytes`, `process_cpu_seconds_total` and `process_start_time_seconds`,
 * read the cheap way (process.memoryUsage.rss(), process.cpuUsage()) when the registry renders.
 *
 * prom-client's collectDefaultMetrics is avoided on purpose: its event-loop-lag monitor wakes every 10 ms and
 * its defaults cost more CPU per scrape than the exporter's own work (docs/ARCHITECTURE.md, "Metric contract").
 */
export function registerProcessMetrics(registry: Registry): void {
  new Gauge({
    name: 'process_resident_memory_bytes',
    help: 'Resident memory size in bytes.',
    registers: [registry],
    collect() {
      this.set(process.memoryUsage.rss());
    },
  });
  let lastCpuMicros = 0;
  new Counter({
    name: 'process_cpu_seconds_total',
    help: 'Total user and system CPU time spent in seconds.',
    registers: [registry],
    collect() {
      const { user, system } = process.cpuUsage();
      const micros = user + system;
      if (micros > lastCpuMicros) this.inc((micros - lastCpuMicros) / 1e6);
      lastCpuMicros = Math.max(lastCpuMicros, micros);
    },
  });
  const start = new Gauge({
    name: 'process_start_time_seconds',
    help: 'Start time of the process since unix epoch in seconds.',
    registers: [registry],
  });
  start.set(Math.round((Date.now() - process.uptime() * 1000) / 10) / 100);
}
