import { formatOf, listNvidiaSmiCaptures, loadNvidiaSmiCapture, queryGpuFieldsOf, type NvidiaSmiCapture } from '@proj/fixtures';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { columnsForFields, decodeQueryRow, headerColumns, parseQueryCsv, parseQueryHeader } from './csv.js';
import { NvsmiError } from './errors.js';
import { parseHelpQueryGpu, type HelpQueryGpu } from './help.js';
import { decodeValue, type AbsentReason, type NvsmiValue } from './value.js';

type Expected = number | string | boolean | { absent: AbsentReason };
type Spot = readonly [row: number, field: string, expected: Expected];

/** What each CSV capture holds, read off the file by hand. */
interface CaptureExpectation {
  readonly rows: number;
  readonly spots: readonly Spot[];
}

const H = 'utkuozdemir__linux-x86_64__';
// Every capture answered to a --query-gpu command; a new one fails the first test until it is described here.
const EXPECTED: Record<string, CaptureExpectation | { throws: 'invalid_field' }> = {
  'issue__CoHDI-composable-resource-operator-37__invalid-field__stdout': { throws: 'invalid_field' },
  'issue__Stability-AI-StableSwarmUI-388__a100-mig-unprivileged-pod__query-gpu_csv': {
    rows: 1,
    spots: [
      [0, 'name', 'NVIDIA A100-SXM4-80GB'],
      [0, 'driver_version', '535.161.08'],
      [0, 'temperature.gpu', 47],
      [0, 'utilization.gpu', { absent: 'not_available' }],
      [0, 'utilization.memory', { absent: 'not_available' }],
      [0, 'memory.total', { absent: 'insufficient_permissions' }],
      [0, 'memory.used', { absent: 'insufficient_permissions' }],
    ],
  },
  'issue__aristocratos-bpytop-26__2gpu-gtx1080ti-gtx1060__idle__query-gpu_csv': {
    rows: 2,
    spots: [
      [0, 'name', 'GeForce GTX 1080 Ti'],
      [1, 'name', 'GeForce GTX 1060 6GB'],
      [0, 'power.draw', 106.56],
      [1, 'power.draw', 5.68],
      [0, 'clocks.current.graphics', 1936],
      [1, 'clocks.current.memory', 405],
      [1, 'memory.used', 4],
      [0, 'temperature.gpu', 60],
    ],
  },
  'issue__aristocratos-bpytop-26__2gpu-gtx1080ti-gtx1060__load__query-gpu_csv': {
    rows: 2,
    spots: [
      [0, 'name', 'GeForce GTX 1080 Ti'],
      [1, 'name', 'GeForce GTX 1060 6GB'],
      [0, 'power.draw', 280.72],
      [1, 'power.draw', 121.51],
      [0, 'utilization.gpu', 100],
      [1, 'memory.used', 5479],
    ],
  },
  'issue__enkore-i3pystatus-776__newer-driver__query-gpu_csv-noheader-nounits': {
    rows: 1,
    spots: [
      [0, 'memory.total', 2004],
      [0, 'memory.used', 0],
      [0, 'temperature.gpu', 44],
      [0, 'fan.speed', { absent: 'not_available' }],
      [0, 'utilization.memory', 0],
    ],
  },
  'issue__enkore-i3pystatus-776__older-driver__query-gpu_csv-noheader-nounits': {
    rows: 1,
    spots: [
      [0, 'temperature.gpu', 44],
      [0, 'fan.speed', { absent: 'not_supported' }],
    ],
  },
  'issue__polybar-polybar-scripts-42__1gpu__loop1s__query-gpu_csv-noheader-nounits': {
    rows: 9,
    spots: [
      [0, 'temperature.gpu', 41],
      [0, 'utilization.gpu', 6],
      [4, 'utilization.gpu', 12],
      [4, 'utilization.memory', 15],
      [8, 'utilization.gpu', 5],
    ],
  },
  'issue__tutulino-Megaminer-376__8gpu-gtx1080ti__query-gpu_csv-noheader': {
    rows: 8,
    spots: [
      // noheader without a help capture: keyed by the name as requested
      [0, 'gpu_name', 'GeForce GTX 1080 Ti'],
      [7, 'gpu_name', 'GeForce GTX 1080'],
      [0, 'fan.speed', { absent: 'unknown_error' }],
      [1, 'fan.speed', 60],
      [5, 'power.draw', 294.91],
      [5, 'power.limit', 262.5],
      [4, 'power.limit', 250],
      [0, 'pstate', 'P2'],
      [7, 'clocks.current.memory', 4513],
    ],
  },
  'netdata-godplugin__tesla-p100__query-gpu_csv-nounits': {
    rows: 1,
    spots: [
      [0, 'name', 'Tesla P100-PCIE-16GB'],
      [0, 'uuid', 'GPU-ef1b2c9b-38d8-2090-2bd1-f567a3eb42a6'],
      [0, 'fan.speed', { absent: 'not_available' }],
      [0, 'memory.reserved', 103],
      [0, 'memory.free', 16280],
      [0, 'power.draw', 28.16],
      [0, 'clocks.current.video', 835],
    ],
  },
  'utkuozdemir-old-sample__linux-ubuntu20.04__geforce-rtx-2080-super__465.27__query-gpu-all-fields_csv': {
    rows: 1,
    spots: [
      [0, 'name', 'NVIDIA GeForce RTX 2080 SUPER'],
      [0, 'power.draw', 30.37],
      [0, 'memory.used', 344],
      [0, 'serial', { absent: 'not_available' }],
      [0, 'temperature.memory', { absent: 'not_available' }],
      [0, 'power.management', true],
      [0, 'display_mode', true],
      [0, 'persistence_mode', false],
    ],
  },
  [`${H}nvidia-geforce-rtx-2080-super__595.71.05__idle_query-gpu-all-fields_csv`]: {
    rows: 1,
    spots: [
      [0, 'power.draw', 39.32],
      [0, 'power.draw.average', { absent: 'not_available' }],
      [0, 'utilization.encoder', 0],
      [0, 'clocks_event_reasons_counters.sw_power_cap', 212553937],
      [0, 'power.management', { absent: 'deprecated' }],
    ],
  },
  [`${H}nvidia-geforce-rtx-2080-super__595.71.05__load_query-gpu-all-fields_csv`]: {
    rows: 1,
    spots: [
      [0, 'power.draw', 111.5],
      [0, 'utilization.encoder', 100],
      [0, 'encoder.stats.sessionCount', 2],
      [0, 'encoder.stats.averageFps', 107],
      [0, 'encoder.stats.averageLatency', 99454],
      [0, 'pstate', 'P2'],
    ],
  },
  [`${H}nvidia-geforce-rtx-2080-super__610.57.04__idle_query-gpu-all-fields_csv`]: {
    rows: 1,
    spots: [
      [0, 'power.draw', 39.17],
      [0, 'kmd_version', '610.57.04'],
      [0, 'bbx.time_run', { absent: 'not_available' }],
    ],
  },
  [`${H}nvidia-geforce-rtx-2080-super__610.57.04__load_query-gpu-all-fields_csv`]: {
    rows: 1,
    spots: [
      [0, 'power.draw', 98.14],
      [0, 'utilization.encoder', 100],
      [0, 'clocks.current.sm', 2070],
    ],
  },
  [`${H}nvidia-geforce-rtx-4080-super__595.71.05__idle_query-gpu-all-fields_csv`]: {
    rows: 1,
    spots: [
      [0, 'name', 'NVIDIA GeForce RTX 4080 SUPER'],
      [0, 'power.draw', 26.2],
      [0, 'power.draw.instant', 28.77],
      [0, 'clocks.current.sm', 210],
    ],
  },
  [`${H}nvidia-geforce-rtx-4080-super__595.71.05__load_query-gpu-all-fields_csv`]: {
    rows: 1,
    spots: [
      [0, 'power.draw', 84.24],
      [0, 'utilization.encoder', 72],
      [0, 'encoder.stats.averageFps', 184],
      [0, 'encoder.stats.averageLatency', 62844],
      [0, 'memory.used', 1474],
    ],
  },
  [`${H}nvidia-h100-80gb-hbm3__590.48.01__idle_query-gpu-all-fields_csv`]: {
    rows: 1,
    spots: [
      [0, 'name', 'NVIDIA H100 80GB HBM3'],
      [0, 'power.draw', 69.85],
      [0, 'power.draw.instant', 69.62],
      [0, 'mig.mode.current', false],
      [0, 'temperature.gpu', 41],
    ],
  },
  [`${H}nvidia-h100-80gb-hbm3__590.48.01__load_query-gpu-all-fields_csv`]: {
    rows: 1,
    spots: [
      [0, 'power.draw', 631.95],
      [0, 'power.draw.instant', 625.68],
      [0, 'power.limit', 700],
      [0, 'utilization.gpu', 100],
      [0, 'memory.used', 19818],
      [0, 'memory.total', 81559],
      [0, 'clocks.current.sm', 1980],
      [0, 'fabric.health.summary', { absent: 'not_available' }],
      [0, 'platform.chassis_serial_number', ''],
      [0, 'platform.peer_type', 'Direct Connected'],
    ],
  },
  [`${H}nvidia-h100-mig__590.48.01__idle_query-gpu-all-fields_csv`]: {
    rows: 1,
    spots: [
      [0, 'power.draw', 71.15],
      [0, 'mig.mode.current', true],
      [0, 'utilization.gpu', { absent: 'not_available' }],
      [0, 'utilization.memory', { absent: 'not_available' }],
      [0, 'utilization.encoder', { absent: 'not_available' }],
      [0, 'utilization.decoder', { absent: 'not_available' }],
      [0, 'memory.used', 59],
    ],
  },
  [`${H}nvidia-h100-mig__590.48.01__load_query-gpu-all-fields_csv`]: {
    rows: 1,
    spots: [
      [0, 'power.draw', 433.78],
      [0, 'power.draw.instant', 447.35],
      [0, 'utilization.gpu', { absent: 'not_available' }],
      [0, 'memory.used', 11125],
    ],
  },
  [`${H}nvidia-h200__590.48.01__idle_query-gpu-all-fields_csv`]: {
    rows: 1,
    spots: [
      [0, 'name', 'NVIDIA H200'],
      [0, 'power.draw', 77.71],
      [0, 'temperature.gpu', 28],
    ],
  },
  [`${H}nvidia-h200__590.48.01__load_query-gpu-all-fields_csv`]: {
    rows: 1,
    spots: [
      [0, 'power.draw', 627.4],
      [0, 'power.draw.instant', 626.26],
      [0, 'memory.used', 32362],
      [0, 'utilization.gpu', 100],
    ],
  },
};

const csvCaptures = listNvidiaSmiCaptures().filter((capture) => capture.command?.includes('--query-gpu'));

/** The driver's help for a capture, when a --help-query-gpu capture of the same machine exists. */
function helpFor(capture: NvidiaSmiCapture): HelpQueryGpu | undefined {
  const name = `${capture.name.slice(0, capture.name.lastIndexOf('__'))}__help-query-gpu`;
  const help = listNvidiaSmiCaptures().find((other) => other.name === name);
  return help ? parseHelpQueryGpu(help.text) : undefined;
}

/** Parses a capture exactly as it was asked for, per its note's command. */
function parseCapture(capture: NvidiaSmiCapture) {
  const format = formatOf(capture.command!)!;
  return parseQueryCsv(capture.text, { header: !format.noheader, fields: queryGpuFieldsOf(capture.command!)!, help: helpFor(capture) });
}

function expectValue(value: NvsmiValue | undefined, expected: Expected): void {
  if (typeof expected === 'number') expect(value).toMatchObject({ kind: 'number', value: expected });
  else if (typeof expected === 'string') expect(value).toMatchObject({ kind: 'text', value: expected });
  else if (typeof expected === 'boolean') expect(value).toMatchObject({ kind: 'enabled', value: expected });
  else expect(value).toMatchObject({ kind: 'absent', reason: expected.absent });
}

describe('parseQueryCsv on every --query-gpu capture', () => {
  it('has an expectation for every capture', () => {
    expect(csvCaptures.map((capture) => capture.name).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  describe.each(csvCaptures.map((capture) => [capture.name, capture] as const))('%s', (name, capture) => {
    const expected = EXPECTED[name]!;

    if ('throws' in expected) {
      it('fails with the typed error its content calls for', () => {
        expect(() => parseCapture(capture)).toThrow(expect.objectContaining({ name: 'NvsmiError', reason: 'invalid_field' }));
        expect(() => parseCapture(capture)).toThrow(/device_minor/);
      });
      return;
    }

    it('yields every row, and the values read by hand', () => {
      if (name.endsWith('all-fields_csv')) expect(helpFor(capture), 'its driver help is used to check the header').toBeDefined();
      const table = parseCapture(capture);
      expect(table.errors).toEqual([]);
      expect(table.rows).toHaveLength(expected.rows);
      for (const [row, field, value] of expected.spots) expectValue(table.rows[row]!.get(field), value);
    });

    it('keeps every cell as printed: the rows re-joined with ", " are the file', () => {
      const table = parseCapture(capture);
      const dataLines = capture.text.split('\n').filter((line) => line !== '').slice(formatOf(capture.command!)!.noheader ? 0 : 1);
      expect(table.rows.map((row) => [...row.values()].map((value) => value.text).join(', '))).toEqual(dataLines);
      for (const row of table.rows) expect([...row.keys()]).toEqual(table.columns.map((column) => column.field));
    });
  });
});

describe('column names and units', () => {
  it('takes canonical names and units from the header, even with nounits', () => {
    const capture = loadNvidiaSmiCapture('netdata-godplugin__tesla-p100__query-gpu_csv-nounits');
    const table = parseQueryCsv(capture.text, { header: true });
    expect(table.columns.slice(0, 5)).toEqual([
      { field: 'name', unit: undefined },
      { field: 'uuid', unit: undefined },
      { field: 'fan.speed', unit: '%' },
      { field: 'pstate', unit: undefined },
      { field: 'memory.reserved', unit: 'MiB' },
    ]);
    expect(table.rows[0]!.get('power.draw')).toEqual({ kind: 'number', value: 28.16, unit: 'W', text: '28.16' });
  });

  it('maps aliases back through the header: gpu_name -> name, clocks.gr -> clocks.current.graphics', () => {
    const capture = loadNvidiaSmiCapture('issue__aristocratos-bpytop-26__2gpu-gtx1080ti-gtx1060__idle__query-gpu_csv');
    const table = parseQueryCsv(capture.text, { header: true, fields: queryGpuFieldsOf(capture.command!)! });
    expect(table.columns.map((column) => column.field)).toEqual([
      'name', 'fan.speed', 'memory.total', 'memory.used', 'utilization.gpu', 'temperature.gpu', 'power.draw', 'clocks.current.graphics', 'clocks.current.memory',
    ]);
  });

  it('with noheader, keys rows by the requested names, made canonical by the help', () => {
    const capture = loadNvidiaSmiCapture('issue__tutulino-Megaminer-376__8gpu-gtx1080ti__query-gpu_csv-noheader');
    const fields = queryGpuFieldsOf(capture.command!)!;
    expect(parseQueryCsv(capture.text, { header: false, fields }).rows[0]!.get('gpu_name')?.text).toBe('GeForce GTX 1080 Ti');
    const help = parseHelpQueryGpu(loadNvidiaSmiCapture('netdata-godplugin__help-query-gpu__help-query-gpu').text);
    const table = parseQueryCsv(capture.text, { header: false, fields, help });
    expect(table.rows[0]!.get('name')?.text).toBe('GeForce GTX 1080 Ti');
    expect(table.rows[0]!.get('power.draw')).toEqual({ kind: 'number', value: 123, unit: 'W', text: '123.00 W' });
  });

  it('rejects a header that does not belong to the requested fields', () => {
    const text = 'name, power.draw [W]\nNVIDIA H200, 77.71 W\n';
    expect(() => parseQueryCsv(text, { header: true, fields: ['name', 'power.draw', 'index'] })).toThrow(expect.objectContaining({ name: 'NvsmiError', reason: 'bad_header' }));
    const help = parseHelpQueryGpu(loadNvidiaSmiCapture(`${H}nvidia-h200__590.48.01__help-query-gpu`).text);
    expect(() => parseQueryCsv(text, { header: true, fields: ['gpu_name', 'power.limit'], help })).toThrow(/column 2 is power.draw, requested power.limit/);
    expect(parseQueryCsv(text, { header: true, fields: ['gpu_name', 'power.draw'], help }).rows).toHaveLength(1);
  });

  it('rejects a first line that is not a header', () => {
    expect(() => parseQueryHeader('NVIDIA H200, 77.71 W')).toThrow(expect.objectContaining({ name: 'NvsmiError', reason: 'bad_header' }));
    expect(() => parseQueryCsv('', { header: true })).toThrow(/no header line/);
    expect(() => headerColumns('index, name [x', 1)).toThrow(/column 2/);
  });
});

describe('bad rows and messages', () => {
  const fields = ['index', 'name', 'power.draw'];

  it('reports a row with the wrong column count, naming its line, and keeps the others', () => {
    const text = '0, GPU A, 10.00 W\n1, GPU B\n2, GPU, C, 30.00 W\n3, GPU D, 40.00 W\n';
    const table = parseQueryCsv(text, { header: false, fields });
    expect(table.rows.map((row) => row.get('index')?.text)).toEqual(['0', '3']);
    expect(table.errors).toHaveLength(2);
    const [short, long] = table.errors;
    expect(short).toBeInstanceOf(NvsmiError);
    expect(short).toMatchObject({ reason: 'column_count', lineNumber: 2, line: '1, GPU B', expectedColumns: 3, actualColumns: 2 });
    expect(short!.message).toBe('line 2: expected 3 columns, got 2: "1, GPU B"');
    expect(long).toMatchObject({ lineNumber: 3, actualColumns: 4 });
  });

  it('reports a lost GPU among the rows of the others', () => {
    const text = '0, GPU A, 10.00 W\nUnable to determine the device handle for GPU 0000:0A:00.0: GPU is lost.  Reboot the system to recover this GPU\n2, GPU C, 30.00 W\n';
    const table = parseQueryCsv(text, { header: false, fields });
    expect(table.rows).toHaveLength(2);
    expect(table.errors).toHaveLength(1);
    expect(table.errors[0]).toMatchObject({ reason: 'gpu_lost', pciBusId: '0000:0A:00.0' });
    expect(table.errors[0]!.lineNumber).toBe(2);
  });

  it('throws the message when nvidia-smi answered nothing else', () => {
    expect(() => parseQueryCsv('No devices were found\n', { header: true })).toThrow(expect.objectContaining({ name: 'NvsmiError', reason: 'no_devices' }));
    expect(() => parseQueryCsv('No devices were found\n', { header: false, fields })).toThrow(expect.objectContaining({ name: 'NvsmiError', reason: 'no_devices' }));
  });

  it('needs the field list without a header', () => {
    expect(() => parseQueryCsv('0, a\n', { header: false })).toThrow(TypeError);
  });

  it('reads CRLF output (nvidia-smi.exe) like LF output', () => {
    const table = parseQueryCsv('name, power.draw [W]\r\nGPU A, 10.00 W\r\n', { header: true });
    expect(table.rows[0]!.get('power.draw')).toMatchObject({ value: 10, unit: 'W' });
    expect(table.rows[0]!.get('name')?.text).toBe('GPU A');
  });
});

// A cell nvidia-smi could print: anything without its separator or a line break, not blank-padded.
const cellText = fc
  .string({ unit: 'grapheme', maxLength: 12 })
  .filter((text) => !text.includes(', ') && !/[\r\n]/.test(text) && text === text.trim() && !text.endsWith(','));

// A value and what it must decode to.
const typedCell: fc.Arbitrary<{ text: string; expected: NvsmiValue }> = fc.oneof(
  fc.tuple(fc.integer({ min: 0, max: 1_000_000 }), fc.constantFrom('W', 'MiB', '%', 'MHz')).map(([hundredths, unit]) => {
    const text = `${(hundredths / 100).toFixed(2)} ${unit}`;
    return { text, expected: { kind: 'number', value: hundredths / 100, unit, text } as const };
  }),
  fc.constantFrom<[string, AbsentReason]>(['[N/A]', 'not_available'], ['N/A', 'not_available'], ['[Not Supported]', 'not_supported'], ['[GPU is lost]', 'gpu_lost']).map(([text, reason]) => ({
    text,
    expected: { kind: 'absent', reason, text } as const,
  })),
  fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map((value) => {
    const text = `0x${value.toString(16).toUpperCase().padStart(16, '0')}`;
    return { text, expected: { kind: 'hex', value, text } as const };
  }),
  fc.boolean().map((enabled) => {
    const text = enabled ? 'Enabled' : 'Disabled';
    return { text, expected: { kind: 'enabled', value: enabled, text } as const };
  }),
  fc.stringMatching(/^[A-Z][A-Za-z0-9 ._-]{0,20}[a-z]$/).filter((text) => !text.includes(', ') && text !== 'Enabled' && text !== 'Disabled').map((text) => ({
    text,
    expected: { kind: 'text', value: text, text } as const,
  })),
);

describe('round trips (properties)', () => {
  it('any table of printable cells comes back cell for cell, in any --format variant', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 6 }).chain((width) => fc.tuple(fc.constant(width), fc.array(fc.array(cellText, { minLength: width, maxLength: width }), { maxLength: 8 }))),
        fc.boolean(),
        ([width, cells], withHeader) => {
          const fields = Array.from({ length: width }, (_, i) => `field${i}`);
          const lines = cells.map((row) => row.join(', '));
          const text = [...(withHeader ? [fields.join(', ')] : []), ...lines].join('\n') + '\n';
          const table = parseQueryCsv(text, { header: withHeader, fields });
          expect(table.errors).toEqual([]);
          expect(table.rows.map((row) => [...row.values()].map((value) => value.text))).toEqual(cells);
        },
      ),
    );
  });

  it('any table of typed values formatted with ", " decodes to those values', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }).chain((width) => fc.array(fc.array(typedCell, { minLength: width, maxLength: width }), { minLength: 1, maxLength: 8 })),
        (rows) => {
          const fields = rows[0]!.map((_, i) => `f${i}`);
          const text = rows.map((row) => row.map((cell) => cell.text).join(', ')).join('\n');
          const table = parseQueryCsv(text, { header: false, fields });
          expect(table.rows.map((row) => [...row.values()])).toEqual(rows.map((row) => row.map((cell) => cell.expected)));
        },
      ),
    );
  });

  it('a row never lands under the wrong columns: wrong counts are errors, right counts are rows (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.array(cellText, { minLength: 1, maxLength: 5 }), { maxLength: 10 }), (cells) => {
        const columns = columnsForFields(['a', 'b', 'c']);
        cells.forEach((row, i) => {
          const decoded = decodeQueryRow(columns, row.join(', '), i + 1);
          if (row.length === 3) expect(decoded).not.toBeInstanceOf(Error);
          else expect(decoded).toMatchObject({ reason: 'column_count', expectedColumns: 3, actualColumns: row.length });
        });
      }),
    );
  });
});

it('decodes a value with its header unit the same way decodeValue does', () => {
  const row = decodeQueryRow(parseQueryHeader('power.draw [W], index'), '71.15, 0', 1);
  expect(row).toEqual(new Map([['power.draw', decodeValue('71.15', 'W')], ['index', decodeValue('0')]]));
});
