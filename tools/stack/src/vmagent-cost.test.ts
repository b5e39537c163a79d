import { describe, expect, it } from 'vitest';
import { parseSamples } from '@proj/fixtures';
import { formatCostRow, sumOf } from './vmagent-cost.js';

describe('sumOf', () => {
  it('adds every label set of one name and nothing else', () => {
    const samples = parseSamples('vm_promscrape_scraped_samples_sum 10\nvm_rows_inserted_total{type="promremotewrite"} 5\nvm_rows_inserted_total{type="native"} 7\nvm_rows_inserted_total_other 100\n');
    expect(sumOf(samples, 'vm_rows_inserted_total')).toBe(12);
    expect(sumOf(samples, 'absent')).toBe(0);
  });
});

describe('formatCostRow', () => {
  it('states CPU as a share of a core and per target, memory in MiB, and the buffer per sample', () => {
    const line = formatCostRow({
      targets: 200, seriesPerTarget: 44, seconds: 60, cpuCores: 0.055, rssBytes: 41.6 * 1048576, samplesPerSecond: 8796.2,
      storeCpuCores: 0.015, storeRowsPerSecond: 9976, bufferBytesPerSample: 13.11, outageSeconds: 10,
    });
    expect(line).toBe(
      '200 targets x 44 series at 1 s for 60 s: vmagent 5.5% of a core (0.28 ms CPU per target per second), RSS 41.6 MiB, 8796 samples/s scraped; ' +
        'VictoriaMetrics 1.5% of a core for 9976 rows/s; store down 10 s: 13.1 bytes of disk buffer per sample',
    );
  });
});
