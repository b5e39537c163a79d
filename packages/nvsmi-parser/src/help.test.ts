import { listNvidiaSmiCaptures, loadNvidiaSmiCapture } from '@proj/fixtures';
import { describe, expect, it } from 'vitest';
import { NvsmiError } from './errors.js';
import { parseHelpQueryGpu, resolveField } from './help.js';

const helpCaptures = listNvidiaSmiCaptures().filter((capture) => capture.what === 'help-query-gpu');

// Field counts counted by hand (`grep -c '^"'` less the compute_mode description lines); where an all-fields
// capture exists it has exactly this many columns.
const FIELD_COUNTS: Record<string, number> = {
  'netdata-godplugin__help-query-gpu__help-query-gpu': 117,
  'utkuozdemir-old-sample__linux-ubuntu20.04__geforce-rtx-2080-super__465.27__help-query-gpu': 115,
  'utkuozdemir__linux-x86_64__nvidia-geforce-rtx-2080-super__595.71.05__help-query-gpu': 202,
  'utkuozdemir__linux-x86_64__nvidia-geforce-rtx-2080-super__610.57.04__help-query-gpu': 241,
  'utkuozdemir__linux-x86_64__nvidia-geforce-rtx-4080-super__595.71.05__help-query-gpu': 202,
  'utkuozdemir__linux-x86_64__nvidia-h100-80gb-hbm3__590.48.01__help-query-gpu': 212,
  'utkuozdemir__linux-x86_64__nvidia-h100-mig__590.48.01__help-query-gpu': 212,
  'utkuozdemir__linux-x86_64__nvidia-h200__590.48.01__help-query-gpu': 212,
};

describe('parseHelpQueryGpu on every --help-query-gpu capture', () => {
  it('has an expectation for every capture', () => {
    expect(helpCaptures.map((capture) => capture.name).sort()).toEqual(Object.keys(FIELD_COUNTS).sort());
  });

  describe.each(helpCaptures.map((capture) => [capture.name, capture] as const))('%s', (name, capture) => {
    const help = parseHelpQueryGpu(capture.text);

    it('lists the fields the driver supports, each name once', () => {
      expect(help.fields).toHaveLength(FIELD_COUNTS[name]!);
      const names = help.fields.map((field) => field.name);
      expect(new Set(names).size).toBe(names.length);
      for (const field of help.fields) {
        expect(field.name).toMatch(/^[A-Za-z0-9_.]+$/);
        expect(field.aliases).not.toContain(field.name);
        expect(field.description).not.toBe('');
      }
    });

    it('knows the fields every exporter metric needs, and their aliases', () => {
      for (const field of ['index', 'name', 'uuid', 'power.draw', 'power.limit', 'temperature.gpu', 'utilization.gpu', 'utilization.memory', 'memory.used', 'memory.total', 'clocks.current.graphics', 'clocks.current.sm', 'clocks.current.memory', 'encoder.stats.sessionCount']) {
        expect(resolveField(help, field)?.name).toBe(field);
      }
      expect(resolveField(help, 'gpu_name')?.name).toBe('name');
      expect(resolveField(help, 'gpu_uuid')?.name).toBe('uuid');
      expect(resolveField(help, 'clocks.gr')?.name).toBe('clocks.current.graphics');
      expect(resolveField(help, 'clocks.mem')?.name).toBe('clocks.current.memory');
      expect(resolveField(help, 'device_minor')).toBeUndefined();
    });

    it('does not take the compute_mode description lines for fields', () => {
      const computeMode = resolveField(help, 'compute_mode')!;
      expect(computeMode.description).toMatch(/Default" means multiple contexts/);
      expect(help.byName.has('0: Default')).toBe(false);
      expect(help.byName.has('Default')).toBe(false);
    });

    it('says encoder.stats.averageLatency is in microseconds', () => {
      expect(resolveField(help, 'encoder.stats.averageLatency')!.description).toMatch(/microseconds/);
    });
  });
});

describe('what a driver supports differs by version', () => {
  const help = (name: string) => parseHelpQueryGpu(loadNvidiaSmiCapture(name).text);
  const old = help('utkuozdemir-old-sample__linux-ubuntu20.04__geforce-rtx-2080-super__465.27__help-query-gpu');
  const current = help('utkuozdemir__linux-x86_64__nvidia-geforce-rtx-2080-super__595.71.05__help-query-gpu');
  const newest = help('utkuozdemir__linux-x86_64__nvidia-geforce-rtx-2080-super__610.57.04__help-query-gpu');

  it('a 465-era driver has no utilization.encoder / utilization.decoder, a 595 one has both', () => {
    expect(resolveField(old, 'utilization.encoder')).toBeUndefined();
    expect(resolveField(old, 'utilization.decoder')).toBeUndefined();
    expect(resolveField(old, 'utilization.gpu')?.name).toBe('utilization.gpu');
    expect(resolveField(current, 'utilization.encoder')?.name).toBe('utilization.encoder');
    expect(resolveField(current, 'utilization.decoder')?.name).toBe('utilization.decoder');
  });

  it('465 has neither power.draw.instant nor kmd_version; the throttle reasons were renamed to event reasons later', () => {
    expect(resolveField(old, 'power.draw.instant')).toBeUndefined();
    expect(resolveField(current, 'power.draw.instant')?.name).toBe('power.draw.instant');
    expect(resolveField(old, 'clocks_throttle_reasons.active')?.name).toBe('clocks_throttle_reasons.active');
    // newer drivers keep the old name as an alias of the new one
    expect(resolveField(current, 'clocks_throttle_reasons.active')?.name).toBe('clocks_event_reasons.active');
    expect(resolveField(old, 'kmd_version')).toBeUndefined();
    expect(resolveField(newest, 'kmd_version')?.name).toBe('kmd_version');
  });
});

describe('every all-fields capture has exactly the columns its driver lists, in the same order', () => {
  const allFields = listNvidiaSmiCaptures().filter((capture) => capture.what.endsWith('query-gpu-all-fields_csv'));

  it.each(allFields.map((capture) => [capture.name, capture] as const))('%s', (name, capture) => {
    const prefix = name.slice(0, name.lastIndexOf('__'));
    const help = parseHelpQueryGpu(loadNvidiaSmiCapture(`${prefix}__help-query-gpu`).text);
    const header = capture.text.split('\n')[0]!.split(', ').map((cell) => cell.replace(/ \[.*\]$/, ''));
    expect(header).toEqual(help.fields.map((field) => field.name));
  });
});

describe('parseHelpQueryGpu on other text', () => {
  it('throws the typed driver error when nvidia-smi failed instead', () => {
    const text = "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the latest NVIDIA driver is installed and running.\n\n";
    expect(() => parseHelpQueryGpu(text)).toThrow(expect.objectContaining({ name: 'NvsmiError', reason: 'driver_unreachable' }));
  });

  it('throws unrecognised_line naming the first line for text that is not help output', () => {
    try {
      parseHelpQueryGpu('\nsomething else\n"name"\n');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(NvsmiError);
      expect((error as NvsmiError).reason).toBe('unrecognised_line');
      expect((error as NvsmiError).lineNumber).toBe(2);
      expect((error as NvsmiError).line).toBe('something else');
    }
  });

  it('throws when the intro is there but no field follows', () => {
    expect(() => parseHelpQueryGpu('List of valid properties to query for the switch "--query-gpu":\n\n')).toThrow(/lists no field/);
  });
});
