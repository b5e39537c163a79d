// The exporter's /metrics passes `promtool check metrics` (Prometheus' own linter: reserved suffixes such as `_count`
// outside histograms, counters without `_total`, missing HELP), on a tree with every kind of zone.
import { runCommand, until } from '@proj/fixtures';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useHarness } from './harness.js';

const { tree, start, defer } = useHarness();

describe('cpu_exporter /metrics', () => {
  it('passes promtool check metrics', async () => {
    const server = await start(tree('xeon-2socket-dram'), '--interval', '200ms');
    let text = '';
    await until(async () => (text = await (await fetch(`${server.url}/metrics`)).text()).includes('rapl_power_watts{'));
    const dir = mkdtempSync(join(tmpdir(), 'promtool-'));
    defer(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'metrics.prom'), text);
    const result = await runCommand(['sh', '-c', 'promtool check metrics < "$1"', 'sh', join(dir, 'metrics.prom')]);
    expect(`${result.stdout}${result.stderr}`).toBe('');
    expect(result.code).toBe(0);
  });
});
