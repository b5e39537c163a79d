import { parseGpuList } from '@proj/nvsmi-parser';
import { describe, expect, it } from 'vitest';
import { FakeConfigError } from './config.js';
import { loadMachine, machineNames } from './machines.js';

describe('loadMachine', () => {
  it.each(machineNames())('%s: every help field is a column of its captures, and -L lists one GPU per row', (name) => {
    const machine = loadMachine(name);
    for (const table of [machine.idle, machine.load]) {
      expect(table.header.map((cell) => cell.replace(/ \[.*\]$/, ''))).toEqual(machine.help.fields.map((field) => field.name));
      expect(parseGpuList(machine.listText).gpus).toHaveLength(table.rows.length);
    }
  });

  it('plays the old 465 driver from its single capture, without encoder fields, --version or -h', () => {
    const machine = loadMachine('rtx-2080-super-465');
    expect(machine.load).toBe(machine.idle);
    expect(machine.help.byName.has('utilization.encoder')).toBe(false);
    expect(machine.versionText).toBeUndefined();
    expect(machine.usageText).toBeUndefined();
  });

  it('assembles the synthetic 2gpu machine from the RTX 4080 SUPER and RTX 2080 SUPER captures of driver 595.71.05', () => {
    const machine = loadMachine('2gpu');
    expect(machine.synthetic).toBe(true);
    const column = (field: string) => machine.idle.header.indexOf(field);
    const cells = (field: string) => machine.idle.rows.map((row) => row[column(field)]);
    expect(cells('index')).toEqual(['0', '1']);
    expect(cells('count')).toEqual(['2', '2']);
    expect(cells('name')).toEqual(['NVIDIA GeForce RTX 4080 SUPER', 'NVIDIA GeForce RTX 2080 SUPER']);
    expect(cells('uuid')).toEqual(['GPU-00000000-0000-0000-0000-000000000000', 'GPU-00000000-0000-0000-0000-000000000001']);
    expect(cells('pci.bus_id')).toEqual(['00000000:01:00.0', '00000000:0C:00.0']);
    expect(machine.load.rows.map((row) => row[column('power.draw [W]')])).toEqual(['84.24 W', '111.50 W']);
    expect(parseGpuList(machine.listText).gpus.map((gpu) => [gpu.index, gpu.name, gpu.uuid])).toEqual([
      [0, 'NVIDIA GeForce RTX 4080 SUPER', 'GPU-00000000-0000-0000-0000-000000000000'],
      [1, 'NVIDIA GeForce RTX 2080 SUPER', 'GPU-00000000-0000-0000-0000-000000000001'],
    ]);
  });

  it('names the choices for an unknown capture', () => {
    expect(() => loadMachine('gtx-480')).toThrow(FakeConfigError);
    expect(() => loadMachine('gtx-480')).toThrow(/h100, h100-mig/);
  });
});
