import { loadNvidiaSmiCapture } from '@proj/fixtures';
import { parseHelpQueryGpu } from '@proj/nvsmi-parser';
import { describe, expect, it } from 'vitest';
import { answerQuery, parseCaptureTable } from './query.js';

const H100 = 'utkuozdemir__linux-x86_64__nvidia-h100-80gb-hbm3__590.48.01';
const table = parseCaptureTable(loadNvidiaSmiCapture(`${H100}__load_query-gpu-all-fields_csv`).text);
const help = parseHelpQueryGpu(loadNvidiaSmiCapture(`${H100}__help-query-gpu`).text);

describe('answerQuery', () => {
  it('picks columns in the order asked, header with units', () => {
    expect(answerQuery(table, help, ['power.draw', 'index', 'name'], { noheader: false, nounits: false })).toEqual({
      kind: 'ok',
      headerLine: 'power.draw [W], index, name',
      rowLines: ['631.95 W, 0, NVIDIA H100 80GB HBM3'],
    });
  });

  it('prints aliases under their canonical names', () => {
    const answer = answerQuery(table, help, ['gpu_name', 'clocks.gr', 'clocks.mem', 'gpu_uuid'], { noheader: false, nounits: false });
    expect(answer).toMatchObject({
      headerLine: 'name, clocks.current.graphics [MHz], clocks.current.memory [MHz], uuid',
      rowLines: ['NVIDIA H100 80GB HBM3, 1980 MHz, 2619 MHz, GPU-00000000-0000-0000-0000-000000000000'],
    });
  });

  it('with nounits strips units from values only; absent tokens and unit-less fields stay as they are', () => {
    const answer = answerQuery(table, help, ['power.draw', 'memory.used', 'utilization.gpu', 'clocks_event_reasons_counters.sw_power_cap', 'module.power.draw.instant', 'temperature.gpu'], { noheader: true, nounits: true });
    expect(answer).toMatchObject({
      headerLine: 'power.draw [W], memory.used [MiB], utilization.gpu [%], clocks_event_reasons_counters.sw_power_cap [us], module.power.draw.instant [W], temperature.gpu',
      rowLines: ['631.95, 19818, 100, 0, [N/A], 59'],
    });
  });

  it('fails the whole query on the first unknown field, as nvidia-smi does', () => {
    expect(answerQuery(table, help, ['index', 'device_minor', 'also_bad'], { noheader: true, nounits: true })).toEqual({
      kind: 'invalid-field',
      message: loadNvidiaSmiCapture('issue__CoHDI-composable-resource-operator-37__invalid-field__stdout').text,
    });
  });
});

describe('parseCaptureTable', () => {
  it('cuts a capture into header and row cells', () => {
    expect(table.header).toHaveLength(212);
    expect(table.rows).toHaveLength(1);
    expect(table.rows[0]).toHaveLength(212);
  });

  it('refuses a capture whose row does not fit its header', () => {
    expect(() => parseCaptureTable('a, b\n1, 2, 3\n')).toThrow(/3 cells for 2 columns/);
    expect(() => parseCaptureTable('')).toThrow(/empty/);
  });
});
