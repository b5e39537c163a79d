import { listNvidiaSmiCaptures, loadNvidiaSmiCapture } from '@proj/fixtures';
import { describe, expect, it } from 'vitest';
import { NvsmiError } from './errors.js';
import { parseGpuList } from './list.js';

const listCaptures = listNvidiaSmiCaptures().filter((capture) => capture.what === 'list-L' || capture.what === 'list-gpus');

// GPUs and MIG devices per capture, counted by hand.
const EXPECTED: Record<string, { gpus: number; migDevices: number[] }> = {
  'utkuozdemir-old-sample__linux-ubuntu20.04__geforce-rtx-2080-super__465.27__list-gpus': { gpus: 1, migDevices: [0] },
  'utkuozdemir-testdata__8x-h100-80gb-hbm3-mig-1g.10gb__list-gpus': { gpus: 8, migDevices: [7, 7, 7, 7, 7, 7, 7, 7] },
  'utkuozdemir__linux-x86_64__nvidia-geforce-rtx-2080-super__595.71.05__list-L': { gpus: 1, migDevices: [0] },
  'utkuozdemir__linux-x86_64__nvidia-geforce-rtx-2080-super__610.57.04__list-L': { gpus: 1, migDevices: [0] },
  'utkuozdemir__linux-x86_64__nvidia-geforce-rtx-4080-super__595.71.05__list-L': { gpus: 1, migDevices: [0] },
  'utkuozdemir__linux-x86_64__nvidia-h100-80gb-hbm3__590.48.01__list-L': { gpus: 1, migDevices: [0] },
  'utkuozdemir__linux-x86_64__nvidia-h100-mig__590.48.01__list-L': { gpus: 1, migDevices: [4] },
  'utkuozdemir__linux-x86_64__nvidia-h200__590.48.01__list-L': { gpus: 1, migDevices: [0] },
};

describe('parseGpuList on every -L capture', () => {
  it('has an expectation for every capture', () => {
    expect(listCaptures.map((capture) => capture.name).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(listCaptures.map((capture) => [capture.name, capture] as const))('%s', (name, capture) => {
    const list = parseGpuList(capture.text);
    expect(list.errors).toEqual([]);
    expect(list.gpus.map((gpu) => gpu.index)).toEqual(EXPECTED[name]!.migDevices.map((_, i) => i));
    expect(list.gpus.map((gpu) => gpu.migDevices.length)).toEqual(EXPECTED[name]!.migDevices);
    for (const gpu of list.gpus) expect(gpu.uuid).toMatch(/^GPU-[0-9a-f-]{36}$/);
  });
});

describe('parseGpuList', () => {
  it('reads names and UUIDs', () => {
    const { gpus } = parseGpuList(loadNvidiaSmiCapture('utkuozdemir-old-sample__linux-ubuntu20.04__geforce-rtx-2080-super__465.27__list-gpus').text);
    expect(gpus).toEqual([{ index: 0, name: 'NVIDIA GeForce RTX 2080 SUPER', uuid: 'GPU-df6e7a7c-7314-46f8-abc4-b88b36dcf3aa', migDevices: [] }]);
  });

  it('nests MIG devices under their GPU, with profile and UUID', () => {
    const { gpus } = parseGpuList(loadNvidiaSmiCapture('utkuozdemir__linux-x86_64__nvidia-h100-mig__590.48.01__list-L').text);
    expect(gpus[0]!.name).toBe('NVIDIA H100 80GB HBM3');
    expect(gpus[0]!.migDevices).toEqual([
      { index: 0, profile: '3g.40gb', uuid: 'MIG-00000000-0000-0000-0000-000000000000' },
      { index: 1, profile: '2g.20gb', uuid: 'MIG-00000001-0000-0000-0000-000000000001' },
      { index: 2, profile: '1g.10gb', uuid: 'MIG-00000002-0000-0000-0000-000000000002' },
      { index: 3, profile: '1g.10gb', uuid: 'MIG-00000003-0000-0000-0000-000000000003' },
    ]);
    const eight = parseGpuList(loadNvidiaSmiCapture('utkuozdemir-testdata__8x-h100-80gb-hbm3-mig-1g.10gb__list-gpus').text);
    expect(eight.gpus[7]!.uuid).toBe('GPU-882ebfab-da98-c41e-357c-47272c0d560d');
    expect(eight.gpus[7]!.migDevices.at(-1)).toEqual({ index: 6, profile: '1g.10gb', uuid: 'MIG-bc03b921-4d24-573e-9d4b-1cdc47b1f4b4' });
    expect(eight.gpus[1]!.migDevices[0]).toEqual({ index: 0, profile: '1g.10gb', uuid: 'MIG-9e577b56-8dad-58fa-9799-b034b7e42ec9' });
  });

  it('keeps the GPUs it can list when another is lost', () => {
    const list = parseGpuList(
      'GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-a)\nUnable to determine the device handle for GPU 0000:0A:00.0: GPU is lost.  Reboot the system to recover this GPU\nGPU 2: NVIDIA H100 80GB HBM3 (UUID: GPU-c)\n',
    );
    expect(list.gpus.map((gpu) => gpu.index)).toEqual([0, 2]);
    expect(list.errors[0]).toMatchObject({ reason: 'gpu_lost' });
  });

  it('throws the typed message when nvidia-smi listed nothing', () => {
    expect(() => parseGpuList('No devices were found\n')).toThrow(expect.objectContaining({ name: 'NvsmiError', reason: 'no_devices' }));
    expect(() => parseGpuList("NVIDIA-SMI couldn't find libnvidia-ml.so library in your system. Please make sure that the NVIDIA Display Driver is properly installed and present in your system.\nPlease also try adding directory that contains libnvidia-ml.so to your system PATH.\n")).toThrow(expect.objectContaining({ name: 'NvsmiError', reason: 'nvml_library_not_found' }));
    expect(parseGpuList('')).toEqual({ gpus: [], errors: [] });
  });

  it('reports unrecognised lines and orphan MIG lines by line number', () => {
    const list = parseGpuList('  MIG 1g.10gb     Device  0: (UUID: MIG-x)\nGPU 0: X (UUID: GPU-x)\nhello\n');
    expect(list.gpus).toHaveLength(1);
    expect(list.errors.map((error) => [error.constructor, error.reason, error.lineNumber, error.message])).toEqual([
      [NvsmiError, 'unrecognised_line', 1, 'line 1: MIG device before any GPU: "  MIG 1g.10gb     Device  0: (UUID: MIG-x)"'],
      [NvsmiError, 'unrecognised_line', 3, 'line 3: not a GPU or MIG device line: "hello"'],
    ]);
  });
});
