import { listPmonCaptures, loadPmonCapture } from '@proj/fixtures';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NvsmiError } from './errors.js';
import { createPmonStreamParser, decodePmonRow, parsePmon, parsePmonHeader, type PmonColumn, type PmonRow, type PmonStreamEvent } from './pmon.js';

const DATARHEI = 'datarhei-core__pmon-s-um-ffmpeg-multisample';
const RAY = 'ray-dashboard__pmon-c1-jpg-ofa-3gpu-idle-row';
const NOT_SUPPORTED = ['nvidia-patch-issue89__pmon-gt640-not-supported-error', 'tensorhive-issue76__pmon-gtx780-not-supported-error'];

const OLD_UM: PmonColumn[] = ['gpu', 'pid', 'type', 'sm', 'mem', 'enc', 'dec', 'fb', 'command'];
const NEW_U: PmonColumn[] = ['gpu', 'pid', 'type', 'sm', 'mem', 'enc', 'dec', 'jpg', 'ofa', 'command'];
const NEW_UM: PmonColumn[] = ['gpu', 'pid', 'type', 'sm', 'mem', 'enc', 'dec', 'jpg', 'ofa', 'fb', 'ccpm', 'command'];

const feedAll = (chunks: readonly (string | Uint8Array)[]): PmonStreamEvent[] => {
  const parser = createPmonStreamParser();
  return [...chunks.flatMap((chunk) => parser.push(chunk)), ...parser.end()];
};
const column = (rows: readonly PmonRow[], key: keyof PmonRow) => rows.map((row) => row[key]);
const _ = undefined;

describe('every pmon capture', () => {
  it('is covered here', () => {
    expect(listPmonCaptures().map((capture) => capture.name)).toEqual([DATARHEI, ...NOT_SUPPORTED, RAY].sort());
  });

  describe(`${DATARHEI}: old layout, -s um, 5 ffmpeg processes on GPU 0, header repeated mid-interval, no final newline`, () => {
    const { text } = loadPmonCapture(DATARHEI);
    const output = parsePmon(text);

    it('gives 10 intervals of the same 5 processes, and no error', () => {
      expect(output.columns).toEqual(OLD_UM);
      expect(output.errors).toEqual([]);
      expect(output.samples).toHaveLength(10);
      for (const { rows } of output.samples) {
        expect(column(rows, 'pid')).toEqual([7372, 12176, 20035, 20141, 29591]);
        expect(column(rows, 'gpuIndex')).toEqual([0, 0, 0, 0, 0]);
        expect(column(rows, 'type')).toEqual(['C', 'C', 'C', 'C', 'C']);
        expect(column(rows, 'command')).toEqual(['ffmpeg', 'ffmpeg', 'ffmpeg', 'ffmpeg', 'ffmpeg']);
        expect(column(rows, 'fbMiB')).toEqual([136, 782, 1145, 429, 435]);
        for (const key of ['jpgPercent', 'ofaPercent', 'ccpmMiB'] as const) expect(column(rows, key)).toEqual([_, _, _, _, _]);
      }
    });

    it('reads sm, mem, enc and dec as printed, `-` as absent (read off the capture by hand)', () => {
      const by = (key: keyof PmonRow) => output.samples.map(({ rows }) => column(rows, key));
      expect(by('smPercent')).toEqual([
        [2, 5, 8, 2, 2],
        [2, 8, 8, _, 3],
        [2, 5, 8, 2, 2],
        [2, 5, 8, 3, 2],
        [2, 10, 3, _, 5],
        [5, 6, _, 5, 5],
        [_, 7, 2, 7, 5],
        [2, 9, 2, 4, 2],
        [_, 10, 4, 7, _],
        [2, 7, 7, 5, _],
      ]);
      expect(by('encPercent')).toEqual([
        [2, 3, 4, 1, _],
        [_, 7, 3, 1, _],
        [1, 5, 1, 1, 1],
        [_, 5, 5, _, _],
        [_, 6, 1, 4, _],
        [2, 4, _, 1, 2],
        [1, 3, _, 4, 2],
        [1, 3, _, 4, 2],
        [_, 4, 2, 3, 1],
        [2, 2, 4, 1, 1],
      ]);
      expect(by('decPercent')).toEqual([
        [_, 7, 1, 3, 2],
        [_, 9, 1, 1, 2],
        [_, 7, 4, _, 3],
        [_, 3, 4, 5, 1],
        [_, 8, 1, 1, 2],
        [_, 7, _, 3, 4],
        [_, 4, 1, 4, 3],
        [_, 6, 1, 5, 1],
        [_, 8, 1, 3, 1],
        [_, 6, 3, 3, 1],
      ]);
      expect(output.samples[0]!.rows.map((row) => row.memPercent)).toEqual([0, 2, 2, 1, 1]);
      expect(output.samples[5]!.rows[2]).toEqual({
        gpuIndex: 0,
        pid: 20035,
        type: 'C',
        smPercent: _,
        memPercent: _,
        encPercent: _,
        decPercent: _,
        jpgPercent: _,
        ofaPercent: _,
        fbMiB: 1145,
        ccpmMiB: _,
        command: 'ffmpeg',
      });
    });

    it('streamed: one header event for the repeated header, each interval once the next begins, the last at end()', () => {
      const parser = createPmonStreamParser();
      const pushed = parser.push(text);
      expect(pushed.filter((event) => event.type === 'header')).toEqual([{ type: 'header', columns: OLD_UM }]);
      expect(pushed.filter((event) => event.type === 'sample')).toHaveLength(9);
      // the interval split by the repeated header is still one interval
      const last = pushed.at(-1);
      expect(last?.type === 'sample' ? column(last.sample.rows, 'pid') : last).toEqual([7372, 12176, 20035, 20141, 29591]);
      expect(parser.end()).toEqual([{ type: 'sample', sample: output.samples[9] }]);
    });
  });

  describe(`${RAY}: 535+ layout with jpg and ofa, one process on two GPUs, an idle GPU, a truncated name`, () => {
    const output = parsePmon(loadPmonCapture(RAY).text);

    it('gives one interval of three rows, the idle GPU as a row without pid', () => {
      expect(output.columns).toEqual(NEW_U);
      expect(output.errors).toEqual([]);
      expect(output.samples).toHaveLength(1);
      const rows = output.samples[0]!.rows;
      expect(column(rows, 'gpuIndex')).toEqual([0, 1, 2]);
      expect(column(rows, 'pid')).toEqual([7175, 7175, _]);
      expect(column(rows, 'type')).toEqual(['C', 'C', _]);
      expect(column(rows, 'smPercent')).toEqual([84, 86, _]);
      expect(column(rows, 'memPercent')).toEqual([26, 26, _]);
      for (const key of ['encPercent', 'decPercent', 'jpgPercent', 'ofaPercent', 'fbMiB', 'ccpmMiB'] as const) expect(column(rows, key)).toEqual([_, _, _]);
      expect(column(rows, 'command')).toEqual(['ray::TorchGPUWo', 'ray::TorchGPUWo', _]);
    });
  });

  describe.each(NOT_SUPPORTED)('%s: pmon on a GPU too old for it', (name) => {
    const { text } = loadPmonCapture(name);

    it('throws not_supported, with nvidia-smi words, and drops the "Failed to process command line" line', () => {
      expect(() => parsePmon(text)).toThrow(expect.objectContaining({ name: 'NvsmiError', reason: 'not_supported', lineNumber: 1, text: 'Not supported on the device(s)' }));
      const events = feedAll([text]);
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ type: 'error', error: { reason: 'not_supported' } });
    });
  });
});

describe('where an interval ends', () => {
  const header = '# gpu        pid  type    sm   mem   enc   dec    fb   command\n# Idx          #   C/G     %     %     %     %    MB   name\n';
  const row = (gpu: number | '-', pid: number | '-', sm = '1') => `    ${gpu}   ${pid}     ${pid === '-' ? '-' : 'C'}     ${sm}     -     -     -     -   ${pid === '-' ? '-' : 'ffmpeg'}\n`;
  const pidsOf = (events: readonly PmonStreamEvent[]) => events.flatMap((event) => (event.type === 'sample' ? [event.sample.rows.map((r) => `${r.gpuIndex}/${r.pid ?? '-'}`)] : []));

  it('a GPU index going down, or a GPU and pid seen again, starts the next interval', () => {
    const events = feedAll([header, row(0, 1), row(1, 2), row(0, 1), row(0, 3), row(1, '-'), row(1, 4), row(1, '-'), row(1, 4)]);
    expect(pidsOf(events)).toEqual([['0/1', '1/2'], ['0/1', '0/3', '1/-', '1/4'], ['1/-', '1/4']]);
  });

  it('a header with other columns starts a new interval and announces the new layout', () => {
    const other = '# gpu         pid   type     sm    mem    enc    dec    jpg    ofa    command\n';
    const events = feedAll([header, row(0, 1), other, '    0       7175     C     84     26      -      -      -      -    x\n']);
    expect(events.map((event) => event.type)).toEqual(['header', 'sample', 'header', 'sample']);
    expect(events[2]).toEqual({ type: 'header', columns: NEW_U });
  });

  it('flush() hands over the interval in progress', () => {
    const parser = createPmonStreamParser();
    expect(parser.push(header + row(0, 1) + row(0, 2))).toEqual([{ type: 'header', columns: OLD_UM }]);
    expect(pidsOf(parser.flush())).toEqual([['0/1', '0/2']]);
    expect(parser.flush()).toEqual([]);
    expect(pidsOf([...parser.push(row(0, 1)), ...parser.end()])).toEqual([['0/1']]);
  });
});

describe('lines that are not rows', () => {
  const header = '# gpu pid type sm mem enc dec fb command\n';

  it('reports a row before any header, a short row, a bad cell and an unknown column, and goes on', () => {
    const events = feedAll(['0 1 C 1 1 1 1 1 x\n', header, '0 1 C 1 1\n', '0 1 C 1 1 x 1 1 ffmpeg\n', '0 2 C 1 1 1 1 1 ok\n', '# gpu pid type sm temp command\n', '0 3 C 1 1 1 1 1 still old layout\n']);
    const errors = events.flatMap((event) => (event.type === 'error' ? [[event.error.reason, event.error.lineNumber]] : []));
    expect(errors).toEqual([
      ['unrecognised_line', 1],
      ['column_count', 3],
      ['unrecognised_line', 4],
      ['bad_header', 6],
    ]);
    const samples = events.flatMap((event) => (event.type === 'sample' ? [event.sample.rows] : []));
    expect(samples.map((rows) => column(rows, 'command'))).toEqual([['ok', 'still old layout']]);
    expect((events.find((event) => event.type === 'error' && event.error.reason === 'column_count') as { error: NvsmiError }).error).toMatchObject({ expectedColumns: 9, actualColumns: 5 });
  });

  it('reports nvidia-smi messages among rows (a lost GPU) without losing the interval', () => {
    const events = feedAll([header, '0 1 C 1 1 1 1 1 a\nUnable to determine the device handle for GPU 0000:0A:00.0: GPU is lost.  Reboot the system to recover this GPU\n1 1 C 1 1 1 1 1 a\n']);
    expect(events.map((event) => (event.type === 'error' ? event.error.reason : event.type))).toEqual(['header', 'gpu_lost', 'sample']);
  });

  it('parsePmon throws bad_header for text without header or rows', () => {
    expect(() => parsePmon('')).toThrow(expect.objectContaining({ reason: 'bad_header' }));
  });

  it('parsePmonHeader: columns, the units line, and refusals', () => {
    expect(parsePmonHeader('# gpu         pid   type     sm    mem    enc    dec    jpg    ofa     fb   ccpm    command')).toEqual(NEW_UM);
    expect(parsePmonHeader('# Idx           #    C/G      %      %      %      %      %      %    name')).toBe('units');
    expect(parsePmonHeader('#Date Time gpu pid command')).toMatchObject({ reason: 'bad_header' });
    expect(parsePmonHeader('# gpu pid command type')).toMatchObject({ reason: 'bad_header' });
  });

  it('decodePmonRow keeps a command with a space whole and takes decimals', () => {
    expect(decodePmonRow(['gpu', 'pid', 'type', 'sm', 'command'], '  3  42  G  7.5  Web Content   ', 1)).toMatchObject({ gpuIndex: 3, pid: 42, type: 'G', smPercent: 7.5, command: 'Web Content' });
  });
});

// Properties. Any UTF-16 code unit, lone surrogates and control characters included.
const anyCodeUnit = fc.nat(0xffff).map((code) => String.fromCharCode(code));

/** Cuts a byte string at the given positions. */
function splitAt(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b);
  const pieces: Uint8Array[] = [];
  let from = 0;
  for (const point of points) {
    pieces.push(bytes.subarray(from, point));
    from = point;
  }
  pieces.push(bytes.subarray(from));
  return pieces;
}

describe('properties', () => {
  const captures = listPmonCaptures().filter((capture) => !NOT_SUPPORTED.includes(capture.name));

  it('any split of a capture byte stream gives the same events as one push (property)', () => {
    for (const capture of captures) {
      const bytes = Buffer.from(capture.text, 'utf8');
      const whole = feedAll([bytes]);
      fc.assert(
        fc.property(fc.array(fc.nat(), { maxLength: 20 }), (cuts) => {
          expect(feedAll(splitAt(bytes, cuts))).toEqual(whole);
        }),
        { numRuns: 50 },
      );
    }
  });

  const cell = fc.oneof(fc.constant('-'), fc.nat(100).map(String));
  const command = fc.oneof(fc.constantFrom('ffmpeg', 'ray::TorchGPUWo', 'Grafikkarte 🎥', 'Xorg'), fc.string({ minLength: 1, maxLength: 15 }).filter((s) => s === s.trim() && s !== '-' && !/[\r\n]/.test(s)));
  const layout = fc.constantFrom(OLD_UM, NEW_U, NEW_UM, ['gpu', 'pid', 'type', 'fb', 'command'] as PmonColumn[]);
  // Intervals: each starts with process 1 on GPU 0, so where one ends is unambiguous; then GPUs in order.
  const interval = fc
    .array(fc.record({ gpu: fc.nat(3), pid: fc.integer({ min: 2, max: 99999 }), cells: fc.array(cell, { minLength: 9, maxLength: 9 }), command }), { maxLength: 6 })
    .map((rows) => [{ gpu: 0, pid: 1, cells: Array<string>(9).fill('1'), command: 'ffmpeg' }, ...rows].sort((a, b) => a.gpu - b.gpu || a.pid - b.pid))
    .map((rows) => rows.filter((row, i) => i === 0 || row.gpu !== rows[i - 1]!.gpu || row.pid !== rows[i - 1]!.pid));

  it('rows printed in any layout, padded any way, with headers anywhere, parse back to themselves, split anywhere (property)', () => {
    fc.assert(
      fc.property(layout, fc.array(interval, { minLength: 1, maxLength: 4 }), fc.nat(20), fc.constantFrom('', ' ', '      '), fc.boolean(), fc.array(fc.nat(), { maxLength: 8 }), (columns, intervals, headerEvery, pad, finalNewline, cuts) => {
        const header = `# ${columns.join('   ')}\n# Idx # C/G ${columns.slice(3, -1).map(() => '%').join(' ')} name\n`;
        let text = header;
        let printed = 0;
        for (const rows of intervals) {
          for (const row of rows) {
            const metrics = columns.slice(3, -1).map((_, i) => row.cells[i]!);
            text += `   ${row.gpu}  ${row.pid}  C  ${metrics.join('   ')}   ${row.command}${pad}\n`;
            if (headerEvery > 0 && ++printed % headerEvery === 0) text += header;
          }
        }
        if (!finalNewline) text = text.replace(/\n$/, '');
        const output = parsePmon(text);
        expect(output.errors).toEqual([]);
        expect(feedAll(splitAt(Buffer.from(text, 'utf8'), cuts))).toEqual(feedAll([text]));
        expect(output.samples.map(({ rows }) => rows.map((row) => [row.gpuIndex, row.pid, row.command]))).toEqual(intervals.map((rows) => rows.map((row) => [row.gpu, row.pid, row.command])));
        const key = { sm: 'smPercent', mem: 'memPercent', enc: 'encPercent', dec: 'decPercent', jpg: 'jpgPercent', ofa: 'ofaPercent', fb: 'fbMiB', ccpm: 'ccpmMiB' } as const;
        output.samples.forEach(({ rows }, s) =>
          rows.forEach((row, r) =>
            columns.slice(3, -1).forEach((name, i) => {
              const printedCell = intervals[s]![r]!.cells[i]!;
              expect(row[key[name as keyof typeof key]]).toBe(printedCell === '-' ? undefined : Number(printedCell));
            }),
          ),
        );
      }),
      { numRuns: 200 },
    );
  });

  it('never throws on any input, split anywhere (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.string({ unit: anyCodeUnit, maxLength: 40 }), fc.constantFrom('# gpu pid type sm command\n', '0 1 C 5 x\n', '\n', 'Not supported on the device(s)\n')), { maxLength: 15 }), (chunks) => {
        const events = feedAll(chunks);
        expect(feedAll([chunks.join('')])).toEqual(events);
      }),
    );
  });
});
