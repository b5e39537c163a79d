// The exporter's /metrics passes `promtool check metrics` (Prometheus' own linter): `gpu_count` did not, because
// promtool reserves `_count` for histograms and summaries; it is `gpu_devices`.
import { promtoolCheckMetrics, sampleValue, parseSamples, until } from '@proj/fixtures';
import { describe, expect, it } from 'vitest';
import { useHarness } from './harness.js';

const { start } = useHarness();

describe('gpu_exporter /metrics', () => {
  it('passes promtool check metrics with GPUs and every series present', async () => {
    const server = await start({ FAKE_NVIDIA_SMI_CAPTURE: 'rtx-4080-super', FAKE_NVIDIA_SMI_STATE: 'load' }, '--interval', '200ms');
    let text = '';
    await until(async () => (sampleValue(parseSamples((text = await (await fetch(`${server.url}/metrics`)).text())), 'gpu_devices') ?? 0) > 0);
    expect(text).toContain('gpu_power_draw_watts{');
    expect(await promtoolCheckMetrics(text)).toEqual({ code: 0, output: '' });
  });
});
