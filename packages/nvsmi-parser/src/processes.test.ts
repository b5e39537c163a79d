import { listComputeAppsCaptures, loadComputeAppsCapture } from '@proj/fixtures';
import { describe, expect, it } from 'vitest';
import { parseComputeApps, parseEncoderSessions, parseGpuProcessesText, parseGpuProcessesXml, type GpuProcess } from './processes.js';

const _ = undefined;
const gpuProcess = (pid: number, type: string, processName: string, usedMemoryMiB: number | undefined, gpuInstanceId?: number, computeInstanceId?: number): GpuProcess => ({ pid, type, processName, usedMemoryMiB, gpuInstanceId, computeInstanceId });

/** What each capture is read as, checked by hand against the file; every capture in the folder is listed. */
const CASES: Record<string, () => void> = {
  'dcgm-exporter-issue94__query-compute-apps-gpu_uuid-name-vgpu': () => {
    const { text } = loadComputeAppsCapture('dcgm-exporter-issue94__query-compute-apps-gpu_uuid-name-vgpu');
    for (const fields of [undefined, ['gpu_uuid', 'name']]) {
      const table = parseComputeApps(text, fields === undefined ? { header: true } : { header: true, fields });
      expect(table.errors).toEqual([]);
      expect(table.columns.map((column) => column.field)).toEqual(['gpu_uuid', 'process_name']);
      expect(table.apps.map((app) => [app.gpuUuid, app.processName, app.pid, app.usedMemoryMiB])).toEqual([
        ['GPU-d0180485-9584-433c-6782-c335d5df2cb3', 'vgpu', _, _],
        ['GPU-777ead31-954e-837f-590f-6c4974d8e571', 'vgpu', _, _],
        ['GPU-777ead31-954e-837f-590f-6c4974d8e571', 'vgpu', _, _],
      ]);
    }
  },
  'datarhei-core__q-x-2x-L4-ffmpeg-processes': () => {
    expect(parseGpuProcessesXml(loadComputeAppsCapture('datarhei-core__q-x-2x-L4-ffmpeg-processes').text)).toEqual([
      { pciBusId: '00000000:01:00.0', uuid: 'GPU-c5533cd4-5a60-059e-348d-b6d7466932e4', processes: [gpuProcess(10131, 'C', 'ffmpeg', 389), gpuProcess(13597, 'C', 'ffmpeg', 1054)] },
      { pciBusId: '00000000:C1:00.0', uuid: 'GPU-128ab6fb-6ec9-fd74-b479-4a5fd14f55bd', processes: [gpuProcess(16870, 'C', 'ffmpeg', 549)] },
    ]);
  },
  'datarhei-core__q-x-gtx1080-ffmpeg-process-encoder-util': () => {
    expect(parseGpuProcessesXml(loadComputeAppsCapture('datarhei-core__q-x-gtx1080-ffmpeg-process-encoder-util').text)).toEqual([
      { pciBusId: '00000000:01:00.0', uuid: 'GPU-d8249424-2ed0-0499-2d47-8c6905e3ef5b', processes: [gpuProcess(18179, 'C', '/usr/local/bin/ffmpeg', 916)] },
    ]);
  },
  'netdata__q-x-a100-mig-encoder-stats': () => {
    expect(parseGpuProcessesXml(loadComputeAppsCapture('netdata__q-x-a100-mig-encoder-stats').text)).toEqual([
      { pciBusId: '00000000:00:04.0', uuid: 'GPU-27b94a00-ed54-5c24-b1fd-1054085de32a', processes: [] },
    ]);
  },
  'netdata__q-x-rtx3060-laptop-xorg-process': () => {
    expect(parseGpuProcessesXml(loadComputeAppsCapture('netdata__q-x-rtx3060-laptop-xorg-process').text)).toEqual([
      { pciBusId: '00000000:01:00.0', uuid: 'GPU-473d8d0f-d462-185c-6b36-6fc23e23e571', processes: [gpuProcess(28543, 'G', '/usr/libexec/Xorg', 4)] },
    ]);
  },
  'nvidia-docker-issue1264__q-processes-xorg-gnome-shell-partial': () => {
    // An excerpt: no GPU line, and the third process is cut after its Type line.
    expect(parseGpuProcessesText(loadComputeAppsCapture('nvidia-docker-issue1264__q-processes-xorg-gnome-shell-partial').text)).toEqual([
      { pciBusId: _, uuid: _, processes: [gpuProcess(1248, 'G', '/usr/lib/xorg/Xorg', 28), gpuProcess(1535, 'G', '/usr/bin/gnome-shell', 46), { pid: 2222, type: 'G', processName: _, usedMemoryMiB: _, gpuInstanceId: _, computeInstanceId: _ }] },
    ]);
  },
  'netdata-nv-plugin-7__q-d-UTILIZATION-encoder-12pct-bogus-duration-partial': () => {
    // -q -d UTILIZATION prints no Processes section: the GPU is left out, not reported idle.
    expect(parseGpuProcessesText(loadComputeAppsCapture('netdata-nv-plugin-7__q-d-UTILIZATION-encoder-12pct-bogus-duration-partial').text)).toEqual([]);
  },
  'nvidia-docker-issue1466__q-utilization-encoder-fbc-stats-partial': () => {
    // A -q slice without Processes (Encoder/FBC stats are GPU-wide, not per process): nothing to list.
    expect(parseGpuProcessesText(loadComputeAppsCapture('nvidia-docker-issue1466__q-utilization-encoder-fbc-stats-partial').text)).toEqual([]);
  },
  'nvapi-issue18__encodersessions-windows-h265': () => {
    const { sessions, errors } = parseEncoderSessions(loadComputeAppsCapture('nvapi-issue18__encodersessions-windows-h265').text);
    expect(errors).toEqual([]);
    expect(sessions.map((s) => [s.gpuIndex, s.sessionId, s.pid, s.codec, s.widthPixels, s.heightPixels, s.averageFps, s.averageLatencyUs])).toEqual([
      [0, 32, 23520, 'H.265', 1792, 1856, 305, 869],
      [0, 32, 23520, 'H.265', 1792, 1856, 266, 918],
      [0, 32, 23520, 'H.265', 1792, 1856, 298, 982],
      [0, 32, 23520, 'H.265', 1792, 1856, 307, 939],
    ]);
  },
};

describe('every compute-apps and process-list capture', () => {
  it('is covered here', () => {
    expect(listComputeAppsCaptures().map((capture) => capture.name)).toEqual(Object.keys(CASES).sort());
  });
  it.each(Object.keys(CASES).sort())('%s', (name) => CASES[name]!());
});

describe('parseComputeApps', () => {
  it('reads pid, name, memory and GPU, with aliases, noheader and nounits', () => {
    const fields = ['pid', 'name', 'used_memory', 'gpu_uuid', 'gpu_bus_id'];
    const text = '7372, ffmpeg, 136 MiB, GPU-a, 00000000:01:00.0\n12176, /usr/bin/ffmpeg, [N/A], GPU-a, 00000000:01:00.0\n';
    const table = parseComputeApps(text, { header: false, fields });
    expect(table.apps.map((app) => [app.pid, app.processName, app.usedMemoryMiB, app.gpuUuid, app.gpuBusId])).toEqual([
      [7372, 'ffmpeg', 136, 'GPU-a', '00000000:01:00.0'],
      [12176, '/usr/bin/ffmpeg', _, 'GPU-a', '00000000:01:00.0'],
    ]);
    const withHeader = parseComputeApps(`pid, process_name, used_gpu_memory [MiB]\n7372, ffmpeg, 136\n`, { header: true, fields: ['pid', 'name', 'used_memory'] });
    expect(withHeader.apps[0]).toMatchObject({ pid: 7372, processName: 'ffmpeg', usedMemoryMiB: 136 });
    expect(withHeader.apps[0]!.values.get('used_gpu_memory')).toMatchObject({ unit: 'MiB' });
  });

  it('no process: a header alone, or nothing with noheader', () => {
    expect(parseComputeApps('pid, process_name\n', { header: true }).apps).toEqual([]);
    expect(parseComputeApps('', { header: false, fields: ['pid'] }).apps).toEqual([]);
  });

  it('reports a row with the wrong column count and keeps the others; throws an nvidia-smi message alone', () => {
    const table = parseComputeApps('1, a\n2\n', { header: false, fields: ['pid', 'name'] });
    expect(table.apps.map((app) => app.pid)).toEqual([1]);
    expect(table.errors.map((error) => error.reason)).toEqual(['column_count']);
    expect(() => parseComputeApps('No devices were found\n', { header: true })).toThrow(expect.objectContaining({ reason: 'no_devices' }));
  });
});

describe('parseGpuProcessesText', () => {
  it('reads 450+ drivers with MIG instance ids before each process, under their GPU', () => {
    // Constructed in the 450+ layout (instance id lines first), as nvidia-smi -q prints it.
    const text = [
      'GPU 00000000:01:00.0',
      '    Processes',
      '        GPU instance ID                   : 1',
      '        Compute instance ID               : 0',
      '        Process ID                        : 7372',
      '            Type                          : C',
      '            Name                          : ffmpeg',
      '            Used GPU Memory               : 136 MiB',
      '        GPU instance ID                   : N/A',
      '        Compute instance ID               : N/A',
      '        Process ID                        : 12176',
      '            Type                          : C',
      '            Name                          : ffmpeg',
      '            Used GPU Memory               : N/A',
      '    Capabilities',
      '        EGM                               : disabled',
      'GPU 00000000:C1:00.0',
      '    Processes                             : None',
      '',
    ].join('\n');
    expect(parseGpuProcessesText(text)).toEqual([
      { pciBusId: '00000000:01:00.0', uuid: _, processes: [gpuProcess(7372, 'C', 'ffmpeg', 136, 1, 0), gpuProcess(12176, 'C', 'ffmpeg', _)] },
      { pciBusId: '00000000:C1:00.0', uuid: _, processes: [] },
    ]);
  });
});

describe('parseEncoderSessions', () => {
  it('reports a line that is not a session, and nvidia-smi messages by reason', () => {
    const { sessions, errors } = parseEncoderSessions('# GPU Session\n0 1 2 H.264 1920 1080 60 500\nhello\nNo devices were found\n');
    expect(sessions).toHaveLength(1);
    expect(errors.map((error) => [error.reason, error.lineNumber])).toEqual([
      ['unrecognised_line', 3],
      ['no_devices', 4],
    ]);
  });
});
