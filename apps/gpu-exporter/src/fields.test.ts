import { listNvidiaSmiCaptures } from '@proj/fixtures';
import { parseHelpQueryGpu } from '@proj/nvsmi-parser';
import { describe, expect, it } from 'vitest';
import { GPU_METRICS, selectFields } from './fields.js';

const helpCaptures = listNvidiaSmiCaptures().filter((c) => c.what === 'help-query-gpu');

describe('selectFields', () => {
  it('has a help-query-gpu capture to work on', () => {
    expect(helpCaptures.length).toBeGreaterThanOrEqual(5);
  });

  it.each(helpCaptures.map((c) => [c.name, c] as const))('asks %s only for fields it lists, labels first', (_name, capture) => {
    const help = parseHelpQueryGpu(capture.text);
    const selection = selectFields(help);
    expect(selection.fields.slice(0, 3)).toEqual(['index', 'name', 'uuid']);
    for (const field of selection.fields) expect(help.byName.has(field)).toBe(true);
    expect(selection.missingLabels).toEqual([]);
    expect(selection.metrics.length + selection.unsupported.length).toBe(GPU_METRICS.length);
  });

  it('leaves NVENC/NVDEC utilisation out on a 465 driver, which does not know them', () => {
    const capture = helpCaptures.find((c) => c.name.includes('465.27'))!;
    const selection = selectFields(parseHelpQueryGpu(capture.text));
    expect(selection.fields).not.toContain('utilization.encoder');
    expect(selection.fields).not.toContain('utilization.decoder');
    expect(selection.unsupported.map((m) => m.metric)).toEqual(
      expect.arrayContaining(['gpu_encoder_utilization_percent', 'gpu_decoder_utilization_percent']),
    );
    // what it does know is still asked for
    expect(selection.fields).toEqual(expect.arrayContaining(['power.draw', 'encoder.stats.sessionCount', 'clocks.current.video']));
  });

  it('asks a current driver for every metric', () => {
    const capture = helpCaptures.find((c) => c.name.includes('nvidia-h100-80gb-hbm3__590'))!;
    expect(selectFields(parseHelpQueryGpu(capture.text)).unsupported).toEqual([]);
  });
});
