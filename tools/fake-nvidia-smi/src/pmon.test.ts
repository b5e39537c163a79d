import { loadNvidiaSmiCapture, loadPmonCapture } from '@proj/fixtures';
import { parseComputeApps, parsePmon, type PmonRow } from '@proj/nvsmi-parser';
import { describe, expect, it } from 'vitest';
import { capturePrefix } from './machines.js';
import { answerComputeApps, formatPmonHeader, formatPmonInterval, formatPmonRow, parsePidMap, parsePmonReplay, pmonCaptureFile, pmonCaptureNames, pmonRowsFor, remapPids } from './pmon.js';
import { parseCaptureTable } from './query.js';

const DATARHEI = loadPmonCapture('datarhei-core__pmon-s-um-ffmpeg-multisample').text;
const RAY = loadPmonCapture('ray-dashboard__pmon-c1-jpg-ofa-3gpu-idle-row').text;
const H100 = parseCaptureTable(loadNvidiaSmiCapture(`${capturePrefix('h100')}__idle_query-gpu-all-fields_csv`).text);

describe('pmon captures the fake replays', () => {
  it('names a capture file for each choice, and reads its layout', () => {
    expect(pmonCaptureNames().map((name) => [name, pmonCaptureFile(name)])).toEqual([
      ['datarhei-ffmpeg', 'datarhei-core__pmon-s-um-ffmpeg-multisample'],
      ['ray-3gpu', 'ray-dashboard__pmon-c1-jpg-ofa-3gpu-idle-row'],
    ]);
    expect(parsePmonReplay(DATARHEI)).toMatchObject({ layout: 'old', samples: { length: 10 } });
    expect(parsePmonReplay(RAY)).toMatchObject({ layout: 'new', samples: { length: 1 } });
  });

  it('prints the header and every data line of both captures as they were captured', () => {
    const datarheiLines = DATARHEI.split('\n');
    expect(formatPmonHeader('old', 'um')).toBe(`${datarheiLines[0]}\n${datarheiLines[1]}\n`);
    const replay = parsePmonReplay(DATARHEI);
    // All but the last line, which the capture cut before its padding.
    expect(replay.samples.slice(0, 2).flatMap((s) => s.rows.map((row) => formatPmonRow('old', 'um', row)))).toEqual(datarheiLines.slice(2, 12).map((line) => `${line}\n`));
    const ray = parsePmonReplay(RAY);
    expect(formatPmonInterval('new', 'u', pmonRowsFor(ray, 0, undefined), 0, 44).text).toBe(RAY);
  });

  it('re-prints the header after every N rows, mid-interval as the capture does, and replays the 10 intervals in a loop', () => {
    const replay = parsePmonReplay(DATARHEI);
    let printed = 0;
    let text = '';
    for (let tick = 0; tick < 10; tick++) {
      const interval = formatPmonInterval('old', 'um', pmonRowsFor(replay, tick, undefined), printed, 44);
      printed = interval.printedRows;
      text += interval.text;
    }
    // the capture up to its last line, which lacks its padding and newline
    expect(text.split('\n').slice(0, -2)).toEqual(DATARHEI.split('\n').slice(0, -1));
    expect(pmonRowsFor(replay, 13, undefined)).toBe(replay.samples[3]!.rows);
  });

  it('-s and a forced layout pick the columns; -i the GPUs', () => {
    const rows = pmonRowsFor(parsePmonReplay(RAY), 0, [1, 2]);
    expect(rows.map((row) => row.gpuIndex)).toEqual([1, 2]);
    const text = formatPmonInterval('old', 'm', rows, 0, 0).text;
    expect(parsePmon(text).columns).toEqual(['gpu', 'pid', 'type', 'fb', 'command']);
    expect(parsePmon(formatPmonInterval('new', 'um', rows, 0, 0).text).columns).toEqual(['gpu', 'pid', 'type', 'sm', 'mem', 'enc', 'dec', 'jpg', 'ofa', 'fb', 'ccpm', 'command']);
    expect(parsePmon(formatPmonInterval('new', 'um', rows, 0, 0).text).samples[0]!.rows).toEqual(rows);
  });
});

describe('answerComputeApps', () => {
  const rows = pmonRowsFor(parsePmonReplay(DATARHEI), 0, undefined);

  it("lists the interval's compute processes with their fb memory and their GPU from the machine", () => {
    const answer = answerComputeApps(rows, H100, ['pid', 'name', 'used_memory', 'gpu_uuid', 'gpu_name'], { noheader: false, nounits: false });
    expect(answer.kind).toBe('ok');
    const table = parseComputeApps((answer as { text: string }).text, { header: true, fields: ['pid', 'name', 'used_memory', 'gpu_uuid', 'gpu_name'] });
    expect(table.errors).toEqual([]);
    expect(table.apps.map((app) => [app.pid, app.processName, app.usedMemoryMiB, app.gpuUuid, app.gpuName])).toEqual(
      [
        [7372, 136],
        [12176, 782],
        [20035, 1145],
        [20141, 429],
        [29591, 435],
      ].map(([pid, mib]) => [pid, 'ffmpeg', mib, 'GPU-00000000-0000-0000-0000-000000000000', 'NVIDIA H100 80GB HBM3']),
    );
  });

  it('nounits, noheader; idle rows are no process; a GPU the machine lacks reads [N/A]; an unknown field fails', () => {
    expect(answerComputeApps(rows.slice(0, 1), H100, ['used_gpu_memory', 'pid'], { noheader: true, nounits: true })).toEqual({ kind: 'ok', text: '136, 7372\n' });
    const ray = pmonRowsFor(parsePmonReplay(RAY), 0, undefined);
    expect(answerComputeApps(ray, H100, ['pid', 'gpu_bus_id'], { noheader: true, nounits: false })).toEqual({ kind: 'ok', text: '7175, 00000000:00:09.0\n7175, [N/A]\n' });
    expect(answerComputeApps(rows, H100, ['pid', 'sm'], { noheader: false, nounits: false })).toEqual({ kind: 'invalid-field', message: 'Field "sm" is not a valid field to query.\n\n' });
  });
});

describe('pid map (FAKE_NVIDIA_SMI_PMON_PIDS_FILE)', () => {
  it('replaces the mapped pids and leaves the others and idle rows alone', () => {
    const map = parsePidMap('7372 4242\nnot a line\n  20035   99 \n');
    expect([...map]).toEqual([
      [7372, 4242],
      [20035, 99],
    ]);
    const rows = [
      { gpuIndex: 0, pid: 7372, command: 'ffmpeg' },
      { gpuIndex: 0, pid: 12176, command: 'ffmpeg' },
      { gpuIndex: 1, pid: undefined, command: undefined },
    ] as unknown as PmonRow[];
    expect(remapPids(rows, map).map((row) => row.pid)).toEqual([4242, 12176, undefined]);
    expect(remapPids(rows, new Map())).toBe(rows);
  });
});
