// The exporter's /metrics passes `promtool check metrics` (Prometheus' own linter: reserved suffixes such as `_count`
// outside histograms, counters without `_total`, missing HELP), on a tree with every kind of zone.
import { promtoolCheckMetrics, until } from '@proj/fixtures';
import { describe, expect, it } from 'vitest';
import { useHarness } from './harness.js';

const { tree, start } = useHarness();

describe('cpu_exporter /metrics', () => {
  it('passes promtool check metrics', async () => {
    const server = await start(tree('xeon-2socket-dram'), '--interval', '200ms');
    let text = '';
    await until(async () => (text = await (await fetch(`${server.url}/metrics`)).text()).includes('rapl_power_watts{'));
    expect(await promtoolCheckMetrics(text)).toEqual({ code: 0, output: '' });
  });
});
