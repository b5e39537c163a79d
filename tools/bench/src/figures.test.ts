import { describe, expect, it } from 'vitest';
import { formatBaselineMetrics } from './baseline.js';
import { createLagTracker, readSampler } from './lag.js';
import { histogramQuantileBound, percentile, summarize } from './stats.js';
import { countSeries, totalCounts } from './store.js';
import { lineChartSvg, niceStep } from './svg.js';

describe('percentiles', () => {
  it('takes the nearest rank', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 99)).toBe(99);
    expect(summarize([3, 1, 2])).toEqual({ n: 3, p50: 2, p99: 3, max: 3, mean: 2 });
    expect(summarize([]).p99).toBeNaN();
  });

  it('bounds a quantile by the bucket that holds it, between two readings', () => {
    const before = [
      { le: 0.001, count: 10 },
      { le: 0.01, count: 10 },
      { le: Infinity, count: 10 },
    ];
    const after = [
      { le: 0.001, count: 108 },
      { le: 0.01, count: 110 },
      { le: Infinity, count: 110 },
    ];
    expect(histogramQuantileBound(before, after, 0.5)).toBe(0.001);
    expect(histogramQuantileBound(before, after, 0.99)).toBe(0.01);
    expect(histogramQuantileBound(after, after, 0.99)).toBeNaN();
  });
});

describe('lag per tick from outside', () => {
  const exposition = (sum: number, count: number) => `# TYPE x_sampler_lag_seconds histogram
x_sampler_lag_seconds_bucket{le="0.001"} ${count}
x_sampler_lag_seconds_bucket{le="+Inf"} ${count}
x_sampler_lag_seconds_sum ${sum}
x_sampler_lag_seconds_count ${count}
x_sampler_ticks_total ${count}
x_sampler_ticks_missed_total 0
`;

  it("takes each scrape's _sum growth as one tick's lag, and leaves out ticks that fell two to a scrape", () => {
    const tracker = createLagTracker();
    tracker.add(readSampler(exposition(0.01, 10), 'x'), 0);
    tracker.add(readSampler(exposition(0.0104, 11), 'x'), 1);
    tracker.add(readSampler(exposition(0.0104, 11), 'x'), 2); // no tick in between: nothing
    tracker.add(readSampler(exposition(0.0111, 13), 'x'), 3); // two ticks: their split is unknown
    tracker.add(readSampler(exposition(0.0112, 14), 'x'), 4);
    expect(tracker.ticks().map((t) => [t.atSeconds, Number(t.lagMs.toFixed(6))])).toEqual([
      [1, 0.4],
      [4, 0.1],
    ]);
    expect(tracker.merged()).toBe(2);
  });
});

describe('countSeries', () => {
  const window = { startSeconds: 100, endSeconds: 110, intervalSeconds: 1 };

  it('finds nothing lost when a sample came every second', () => {
    const ts = Array.from({ length: 10 }, (_, i) => 100.3 + i);
    expect(countSeries({}, ts, window)).toEqual({ labels: {}, expected: 10, stored: 10, lost: 0 });
  });

  it('counts the scrapes missing in gaps and at the edges', () => {
    const ts = [100.3, 101.3, 104.3, 105.3, 106.3, 107.3];
    expect(countSeries({}, ts, window)).toMatchObject({ stored: 6, lost: 4 });
    expect(countSeries({}, [], window)).toMatchObject({ stored: 0, lost: 10 });
    expect(totalCounts([countSeries({}, ts, window), countSeries({}, [], window)])).toMatchObject({ series: 2, lost: 14, seriesWithLoss: 2, storedMin: 0, storedMax: 6 });
  });
});

describe('lineChartSvg', () => {
  it('draws one polyline per series inside its box, with round ticks', () => {
    expect(niceStep(0.9)).toBe(0.2);
    expect(niceStep(600, 8)).toBe(100);
    const svg = lineChartSvg({
      title: 'lag <ms>',
      xLabel: 's',
      yLabel: 'ms',
      width: 400,
      height: 200,
      series: [{ label: 'a', color: 'red', points: [[0, 0.1], [10, 0.5]] }],
    });
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(svg).toContain('lag &lt;ms&gt;');
    const polyline = /<polyline [^>]*points="([^"]+)"/.exec(svg)![1]!;
    for (const point of polyline.split(' ')) {
      const [x, y] = point.split(',').map(Number);
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThanOrEqual(400);
      expect(y).toBeGreaterThanOrEqual(0);
      expect(y).toBeLessThanOrEqual(200);
    }
  });
});

describe('formatBaselineMetrics', () => {
  it("formats nvidia-smi's CSV as the GPU exporter's gauges, leaving [N/A] out", () => {
    const csv = '0, NVIDIA H100 80GB HBM3, GPU-0, 631.95, 700.00, 54, 100, 37, [N/A], 0, 1024, 81559, 1980, 1980, 2619\n';
    const text = formatBaselineMetrics(csv);
    expect(text).toContain('gpu_devices 1\n');
    expect(text).toContain('gpu_power_draw_watts{gpu_id="0",gpu_name="NVIDIA H100 80GB HBM3",gpu_uuid="GPU-0"} 631.95\n');
    expect(text).toContain(`gpu_memory_total_bytes{gpu_id="0",gpu_name="NVIDIA H100 80GB HBM3",gpu_uuid="GPU-0"} ${81559 * 1048576}\n`);
    expect(text).not.toContain('gpu_encoder_utilization_percent{');
  });
});
