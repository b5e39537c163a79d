import { loadNvidiaSmiCapture, queryGpuFieldsOf } from '@proj/fixtures';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { QueryRow } from './csv.js';
import type { NvsmiError } from './errors.js';
import { createQueryStreamParser, type QueryStreamEvent, type QueryStreamOptions } from './stream.js';

// Any UTF-16 code unit, lone surrogates and control characters included (harsher than fast-check's 'binary' unit,
// without its ~2 s first-use cost).
const anyCodeUnit = fc.nat(0xffff).map((code) => String.fromCharCode(code));

/** Events as plain data: rows as [field, printed text] pairs, errors by class, reason, line and message. */
function summary(events: readonly QueryStreamEvent[]): unknown[] {
  const rowData = (row: QueryRow) => [...row].map(([field, value]) => [field, value.text]);
  return events.map((event) => {
    if (event.type === 'batch') return { batch: event.rows.map(rowData) };
    if (event.type === 'header') return { header: event.columns };
    const error: NvsmiError = event.error;
    return { error: error.name, reason: error.reason, lineNumber: error.lineNumber, line: error.line, message: error.message, ...(error.rows !== undefined ? { rows: error.rows.map(rowData) } : {}) };
  });
}

function feedAll(options: QueryStreamOptions, chunks: readonly (string | Uint8Array)[]): QueryStreamEvent[] {
  const parser = createQueryStreamParser(options);
  return [...chunks.flatMap((chunk) => parser.push(chunk)), ...parser.end()];
}

const batches = (events: readonly QueryStreamEvent[]) => events.filter((event) => event.type === 'batch').map((event) => (event as { rows: readonly QueryRow[] }).rows);
const errors = (events: readonly QueryStreamEvent[]) => events.filter((event) => event.type === 'error').map((event) => (event as { error: NvsmiError }).error);
const texts = (rows: readonly QueryRow[], field: string) => rows.map((row) => row.get(field)?.text);

describe('loop-mode captures', () => {
  it('one GPU, -l 1, noheader: one batch per line (polybar capture)', () => {
    const capture = loadNvidiaSmiCapture('issue__polybar-polybar-scripts-42__1gpu__loop1s__query-gpu_csv-noheader-nounits');
    const events = feedAll({ header: false, fields: queryGpuFieldsOf(capture.command!)!, gpuCount: 1 }, [capture.text]);
    expect(errors(events)).toEqual([]);
    const got = batches(events);
    expect(got).toHaveLength(9);
    expect(got.map((rows) => texts(rows, 'utilization.gpu')[0])).toEqual(['6', '6', '5', '7', '12', '8', '4', '6', '5']);
    expect(got[4]![0]!.get('utilization.memory')).toMatchObject({ kind: 'number', value: 15 });
  });

  it('eight GPUs, noheader with units: one batch of eight rows (Megaminer capture)', () => {
    const capture = loadNvidiaSmiCapture('issue__tutulino-Megaminer-376__8gpu-gtx1080ti__query-gpu_csv-noheader');
    const events = feedAll({ header: false, fields: queryGpuFieldsOf(capture.command!)!, gpuCount: 8 }, [capture.text]);
    expect(errors(events)).toEqual([]);
    const [rows] = batches(events);
    expect(batches(events)).toHaveLength(1);
    expect(texts(rows!, 'power.draw')).toEqual(['123.00 W', '242.05 W', '266.25 W', '257.66 W', '239.59 W', '294.91 W', '267.73 W', '181.22 W']);
    expect(rows![0]!.get('fan.speed')).toMatchObject({ kind: 'absent', reason: 'unknown_error' });
  });

  it('two GPUs with a header printed once: the bpytop idle and load captures as two ticks', () => {
    const idle = loadNvidiaSmiCapture('issue__aristocratos-bpytop-26__2gpu-gtx1080ti-gtx1060__idle__query-gpu_csv').text.split('\n');
    const load = loadNvidiaSmiCapture('issue__aristocratos-bpytop-26__2gpu-gtx1080ti-gtx1060__load__query-gpu_csv').text.split('\n');
    const stream = [idle[0], idle[1], idle[2], load[1], load[2]].join('\n') + '\n';
    const events = feedAll({ header: true, gpuCount: 2 }, [stream]);
    expect(events.map((event) => event.type)).toEqual(['header', 'batch', 'batch']);
    expect(batches(events).map((rows) => texts(rows, 'power.draw'))).toEqual([['106.56 W', '5.68 W'], ['280.72 W', '121.51 W']]);
  });
});

describe('createQueryStreamParser', () => {
  const fields = ['index', 'name', 'power.draw'];
  const options = { header: false, fields, gpuCount: 2 } as const;

  it('emits a batch as soon as its last row is complete, and buffers a partial one', () => {
    const parser = createQueryStreamParser(options);
    expect(parser.push('0, GPU A, 10.00')).toEqual([]);
    expect(parser.push(' W\n1, GPU B, 20')).toEqual([]);
    const events = parser.push('.00 W\n');
    expect(batches(events).map((rows) => texts(rows, 'power.draw'))).toEqual([['10.00 W', '20.00 W']]);
    expect(parser.push('0, GPU A, 11.00 W\n')).toEqual([]);
  });

  it('accepts Buffers split inside a UTF-8 character', () => {
    const bytes = Buffer.from('0, Grafikkarte für 🎥, 10.00 W\n1, GPU B, 20.00 W\n');
    const cut = bytes.indexOf(Buffer.from('🎥')) + 2;
    const events = feedAll(options, [bytes.subarray(0, cut), bytes.subarray(cut)]);
    expect(texts(batches(events)[0]!, 'name')).toEqual(['Grafikkarte für 🎥', 'GPU B']);
  });

  it('ends a batch early when a GPU comes round again, handing over the rows it got', () => {
    const events = feedAll({ header: false, fields, gpuCount: 3 }, ['0, A, 1 W\n2, C, 3 W\n0, A, 4 W\n1, B, 5 W\n2, C, 6 W\n']);
    expect(events.map((event) => event.type)).toEqual(['error', 'batch']);
    const [incomplete] = errors(events);
    expect(incomplete!.reason).toBe('incomplete_batch');
    expect(texts(incomplete!.rows!, 'index')).toEqual(['0', '2']);
    expect(incomplete!.message).toBe('incomplete batch: 2 of 3 rows (index 0 came round again)');
    expect(texts(batches(events)[0]!, 'power.draw')).toEqual(['4 W', '5 W', '6 W']);
  });

  it('keeps a line that fits the columns but has no numeric index out of the batch', () => {
    const events = feedAll(options, ['0, A, 1 W\n, W, x\nGPU, 3, 4\n1, B, 2 W\n']);
    expect(summary(events)).toEqual([
      expect.objectContaining({ error: 'NvsmiError', reason: 'unrecognised_line', lineNumber: 2, line: ', W, x' }),
      expect.objectContaining({ error: 'NvsmiError', reason: 'unrecognised_line', lineNumber: 3 }),
      { batch: [[['index', '0'], ['name', 'A'], ['power.draw', '1 W']], [['index', '1'], ['name', 'B'], ['power.draw', '2 W']]] },
    ]);
  });

  it('uses uuid to see ticks when index is not queried', () => {
    const events = feedAll({ header: false, fields: ['uuid', 'power.draw'], gpuCount: 2 }, ['GPU-a, 1 W\nGPU-a, 2 W\nGPU-b, 3 W\n']);
    expect(events.map((event) => event.type)).toEqual(['error', 'batch']);
  });

  it('reports garbage and nvidia-smi messages as typed errors and goes on with the next batch', () => {
    const stream = [
      '0, A, 1 W',
      '1, B, 2 W',
      '%%% garbage \u0000 from a confused terminal',
      '0, A, 3 W',
      'Unable to determine the device handle for GPU 0000:0A:00.0: GPU is lost.  Reboot the system to recover this GPU',
      '1, B, 4 W',
      "NVIDIA-SMI couldn't find libnvidia-ml.so library in your system. Please make sure that the NVIDIA Display Driver is properly installed and present in your system.",
      'Please also try adding directory that contains libnvidia-ml.so to your system PATH.',
      '0, A, 5 W, extra',
      '0, A, 6 W',
      '',
      '1, B, 7 W',
      '',
    ].join('\n');
    const events = feedAll(options, [stream]);
    expect(summary(events)).toEqual([
      { batch: [[['index', '0'], ['name', 'A'], ['power.draw', '1 W']], [['index', '1'], ['name', 'B'], ['power.draw', '2 W']]] },
      expect.objectContaining({ error: 'NvsmiError', reason: 'column_count', lineNumber: 3 }),
      expect.objectContaining({ error: 'NvsmiError', reason: 'gpu_lost', lineNumber: 5 }),
      { batch: [[['index', '0'], ['name', 'A'], ['power.draw', '3 W']], [['index', '1'], ['name', 'B'], ['power.draw', '4 W']]] },
      expect.objectContaining({ error: 'NvsmiError', reason: 'nvml_library_not_found', lineNumber: 7 }),
      expect.objectContaining({ error: 'NvsmiError', reason: 'column_count', lineNumber: 9, line: '0, A, 5 W, extra' }),
      { batch: [[['index', '0'], ['name', 'A'], ['power.draw', '6 W']], [['index', '1'], ['name', 'B'], ['power.draw', '7 W']]] },
    ]);
    expect(errors(events)[1]).toMatchObject({ pciBusId: '0000:0A:00.0', nvmlError: 'GPU is lost', text: expect.stringContaining('GPU is lost') });
    expect(errors(events)[2]).toMatchObject({ text: expect.stringContaining('libnvidia-ml.so'), pciBusId: undefined });
    expect(errors(events)[0]).toMatchObject({ expectedColumns: 3, actualColumns: 1, text: undefined });
  });

  it('at the end, parses a last line without newline and reports the unfinished batch', () => {
    const parser = createQueryStreamParser(options);
    expect(parser.push('0, A, 1 W\n1, B, 2 W\n0, A, 3 W\n1, B')).toHaveLength(1);
    const events = parser.end();
    expect(summary(events)).toEqual([
      expect.objectContaining({ error: 'NvsmiError', lineNumber: 4, line: '1, B' }),
      expect.objectContaining({ error: 'NvsmiError', reason: 'incomplete_batch', rows: [[['index', '0'], ['name', 'A'], ['power.draw', '3 W']]] }),
    ]);
    // and starts over: line numbers and batches begin afresh
    expect(summary(parser.push('1, B, 9 W\n0, A, 9 W\n'))).toHaveLength(1);
  });

  it('drops an over-long line with an error, keeping memory bounded, and parses the next', () => {
    const parser = createQueryStreamParser({ ...options, maxLineLength: 50 });
    const events = [...parser.push('0, A, 1 W\n' + 'x'.repeat(40)), ...parser.push('y'.repeat(40)), ...parser.push('z'.repeat(1000) + '\n1, B, 2 W\n')];
    expect(summary(events)).toEqual([
      expect.objectContaining({ error: 'NvsmiError', reason: 'line_too_long', lineNumber: 2, line: 'x'.repeat(40) + 'y'.repeat(10) }),
      { batch: [[['index', '0'], ['name', 'A'], ['power.draw', '1 W']], [['index', '1'], ['name', 'B'], ['power.draw', '2 W']]] },
    ]);
  });

  it('with a header: reports messages before it, ignores it when repeated, and checks it against the fields', () => {
    const events = feedAll({ header: true, fields, gpuCount: 1 }, ['Failed to initialize NVML: Unknown Error\nindex, name, power.draw [W]\n0, A, 1.00 W\nindex, name, power.draw [W]\n0, A, 2.00 W\n']);
    expect(events.map((event) => event.type)).toEqual(['error', 'header', 'batch', 'batch']);
    expect(batches(events)[1]![0]!.get('power.draw')).toMatchObject({ value: 2, unit: 'W' });
    const mismatch = feedAll({ header: true, fields: ['index', 'name'], gpuCount: 1 }, ['index, name, power.draw [W]\n']);
    expect(summary(mismatch)).toEqual([expect.objectContaining({ error: 'NvsmiError', reason: 'bad_header', lineNumber: 1 })]);
  });

  it('refuses options it cannot work with', () => {
    expect(() => createQueryStreamParser({ header: false, fields, gpuCount: 0 })).toThrow(RangeError);
    expect(() => createQueryStreamParser({ header: false, fields, gpuCount: 1.5 })).toThrow(RangeError);
    expect(() => createQueryStreamParser({ header: false, gpuCount: 1 })).toThrow(TypeError);
  });
});

// A name with multi-byte characters, so byte splits land inside them.
const gpuName = fc.constantFrom('NVIDIA H100 80GB HBM3', 'Grafikkarte für Übertragung', 'GPU 🎥 编码器', 'NVIDIA GeForce RTX 4080 SUPER');
const line = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(fc.nat(3), gpuName, fc.integer({ min: 0, max: 70000 })).map(([index, name, centiwatts]) => `${index}, ${name}, ${(centiwatts / 100).toFixed(2)} W`) },
  { weight: 1, arbitrary: fc.constantFrom('No devices were found', 'Unable to determine the device handle for GPU 0000:0A:00.0: GPU is lost.  Reboot the system to recover this GPU', '', 'garbage ✗', '0, a, b, c, d', '1, B, 2 W\r') },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 30 }).map((text) => text.replace(/\n/g, ' ')) },
);

describe('properties', () => {
  it('splitting the stream anywhere, bytes or text, yields the same events as feeding it whole', () => {
    fc.assert(
      fc.property(fc.array(line, { maxLength: 30 }), fc.boolean(), fc.array(fc.nat(), { maxLength: 12 }), fc.boolean(), (lines, trailingNewline, cuts, asBytes) => {
        const text = lines.join('\n') + (trailingNewline ? '\n' : '');
        const options = { header: false, fields: ['index', 'name', 'power.draw'], gpuCount: 3, maxLineLength: 60 } as const;
        const whole = summary(feedAll(options, [text]));
        const data: string | Buffer = asBytes ? Buffer.from(text) : text;
        const points = [...new Set(cuts.map((cut) => cut % (data.length + 1)))].sort((a, b) => a - b);
        const chunks = [0, ...points].map((start, i) => data.slice(start, points[i] ?? data.length));
        expect(summary(feedAll(options, chunks))).toEqual(whole);
      }),
    );
  });

  it('no input makes it throw, and a batch after any garbage comes out whole', () => {
    // Line breaks, separators and digits often enough to make half-rows, blank lines and CRLF.
    const unit = fc.oneof(anyCodeUnit, fc.constantFrom('\n', '\r', ', ', '0', '1', ' W', '[N/A]', 'é'));
    const chunk = fc.oneof(fc.string({ unit, maxLength: 200 }), fc.uint8Array({ maxLength: 200 }));
    fc.assert(
      fc.property(fc.array(chunk, { maxLength: 10 }), fc.boolean(), (chunks, withHeader) => {
        const parser = createQueryStreamParser({ header: withHeader, fields: ['index', 'power.draw'], gpuCount: 2, maxLineLength: 100 });
        // Garbage can hold anything but a row of this query: nvidia-smi's separator is what makes a row.
        for (const piece of chunks) parser.push(typeof piece === 'string' ? piece.replaceAll(',', ';') : piece.map((byte) => (byte === 0x2c ? 0x3b : byte)));
        const header = withHeader ? 'index, power.draw [W]\n' : '';
        const events = parser.push(`\n${header}0, 1.00 W\n1, 2.00 W\n`);
        expect(events.at(-1)).toEqual({ type: 'batch', rows: [expect.any(Map), expect.any(Map)] });
        const rows = batches(events).at(-1)!;
        expect(texts(rows, 'power.draw')).toEqual(['1.00 W', '2.00 W']);
        expect(() => parser.end()).not.toThrow();
      }),
    );
  });
});
