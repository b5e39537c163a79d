import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadHwmonTree, materializeHwmonTree, type HwmonTree, type MaterializedHwmonTree } from '@proj/fixtures';
import { afterEach, describe, expect, it } from 'vitest';
import { HwmonParseError, HwmonReadError } from './errors.js';
import { openHwmon } from './hwmon.js';
import { nodeHwmonIo, type HwmonIo } from './sysfs.js';

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const remove of cleanup.splice(0)) remove();
});

function tree(treeOrName: HwmonTree | string): MaterializedHwmonTree {
  const written = materializeHwmonTree(treeOrName);
  cleanup.push(() => written.remove());
  return written;
}

/** node:fs, except that the files whose path ends with one of `denied` answer EACCES. */
function denying(...denied: string[]): HwmonIo {
  return {
    ...nodeHwmonIo,
    readFile(path) {
      if (denied.some((end) => path.endsWith(end))) throw Object.assign(new Error(`EACCES: ${path}`), { code: 'EACCES' });
      return nodeHwmonIo.readFile(path);
    },
  };
}

describe('openHwmon', () => {
  it('finds no chips, and no error, where class/hwmon does not exist', async () => {
    const root = mkdtempSync(join(tmpdir(), 'hwmon-empty-'));
    cleanup.push(() => rmSync(root, { recursive: true, force: true }));
    expect(await openHwmon({ sysfsRoot: root }).discover()).toEqual({ chips: [], sensors: [], ignored: [] });
  });

  it('reports a class directory it may not list as an error', async () => {
    const io: HwmonIo = { ...nodeHwmonIo, readdir: () => { throw Object.assign(new Error('EACCES'), { code: 'EACCES' }); } };
    const discovery = await openHwmon({ sysfsRoot: '/nowhere', io }).discover();
    expect(discovery.chips).toEqual([]);
    expect(discovery.error).toBeInstanceOf(HwmonReadError);
    expect(discovery.error?.reason).toBe('permission_denied');
  });

  it('one unreadable sensor is a failure beside the others, which are read', async () => {
    const written = tree('zenergy-ryzen-laptop');
    const hwmon = openHwmon({ sysfsRoot: written.root, io: denying('hwmon0/energy3_input') });
    const { readings, failures } = await hwmon.read((await hwmon.discover()).sensors);
    expect(failures).toHaveLength(1);
    expect(failures[0]!.sensor.sensor).toBe('energy3');
    expect(failures[0]!.error).toBeInstanceOf(HwmonReadError);
    expect((failures[0]!.error as HwmonReadError).code).toBe('EACCES');
    expect(failures[0]!.error.reason).toBe('permission_denied');
    expect(readings).toHaveLength(7);
  });

  it('a malformed or vanished value is a typed failure, and the next read sees the sensor come back', async () => {
    const written = tree('acpi-power-meter-262w');
    const hwmon = openHwmon({ sysfsRoot: written.root });
    const { sensors } = await hwmon.discover();
    written.setFile('hwmon0', 'power1_average', 'garbage');
    const bad = await hwmon.read(sensors);
    expect(bad.readings).toEqual([]);
    expect(bad.failures[0]!.error).toBeInstanceOf(HwmonParseError);
    expect(bad.failures[0]!.error.reason).toBe('parse_error');
    rmSync(join(written.root, 'class', 'hwmon', 'hwmon0', 'power1_average'));
    expect((await hwmon.read(sensors)).failures[0]!.error.reason).toBe('not_found');
    // What the lm-sensors-130 note calls "4.29 MW": firmware's 0xFFFFFFFF mW, which is no reading.
    written.setFile('hwmon0', 'power1_average', 4_294_967_295_000);
    expect((await hwmon.read(sensors)).failures[0]!.error.reason).toBe('no_data');
    written.setFile('hwmon0', 'power1_average', 300_500_000);
    const back = await hwmon.read(sensors);
    expect(back.readings).toMatchObject([{ kind: 'power', powerUw: 300_500_000, powerWatts: 300.5 }]);
  });

  it('sets aside a chip without a name or with a dangling link, and keeps the others', async () => {
    const base = loadHwmonTree('acpi-power-meter-262w');
    const files = { ...base.files };
    delete files['devices/platform/coretemp.0/hwmon/hwmon1/name'];
    const written = tree({ ...base, files, symlinks: { ...base.symlinks, 'class/hwmon/hwmon7': '../../devices/gone/hwmon/hwmon7' } });
    const discovery = await openHwmon({ sysfsRoot: written.root }).discover();
    expect(discovery.chips.map((chip) => chip.id)).toEqual(['hwmon0']);
    expect(discovery.ignored.map(({ id, error }) => [id, error.reason])).toEqual([
      ['hwmon1', 'not_found'],
      ['hwmon7', 'not_found'],
    ]);
  });

  it('prefers powerN_input to powerN_average, keeps the label when it cannot read it, and orders hwmon10 after hwmon2', async () => {
    const root = mkdtempSync(join(tmpdir(), 'hwmon-'));
    cleanup.push(() => rmSync(root, { recursive: true, force: true }));
    for (const id of ['hwmon10', 'hwmon2']) {
      const dir = join(root, 'devices', 'platform', `chip.${id}`, 'hwmon', id);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'name'), 'amdgpu\n');
      writeFileSync(join(dir, 'power1_input'), '20000000\n');
      writeFileSync(join(dir, 'power1_average'), '18000000\n');
      writeFileSync(join(dir, 'power1_label'), 'PPT\n');
      mkdirSync(join(root, 'class', 'hwmon'), { recursive: true });
      symlinkSync(`../../devices/platform/chip.${id}/hwmon/${id}`, join(root, 'class', 'hwmon', id));
    }
    const hwmon = openHwmon({ sysfsRoot: root, io: denying('hwmon10/power1_label') });
    const { chips, sensors } = await hwmon.discover();
    expect(chips.map((chip) => [chip.id, chip.duplicateName, chip.device])).toEqual([
      ['hwmon2', true, undefined],
      ['hwmon10', true, undefined],
    ]);
    expect(sensors.map((sensor) => [sensor.key, sensor.attribute, sensor.label, sensor.labelError?.reason])).toEqual([
      ['hwmon2/power1', 'input', 'PPT', undefined],
      ['hwmon10/power1', 'input', '', 'permission_denied'],
    ]);
    expect((await hwmon.read(sensors)).readings.map((reading) => (reading.kind === 'power' ? reading.powerWatts : null))).toEqual([20, 20]);
  });

  it('reads the attributes from the device directory where an older driver put them there', async () => {
    const base = loadHwmonTree('acpi-power-meter-262w');
    const hwmonDir = 'devices/LNXSYSTM:00/device:00/ACPI000D:00/hwmon/hwmon0/';
    const files = Object.fromEntries(
      Object.entries(base.files).map(([path, content]) => [path.startsWith(hwmonDir) ? `devices/LNXSYSTM:00/device:00/ACPI000D:00/${path.slice(hwmonDir.length)}` : path, content]),
    );
    const written = tree({ ...base, files });
    const hwmon = openHwmon({ sysfsRoot: written.root });
    const { chips, sensors, ignored } = await hwmon.discover();
    expect(ignored).toEqual([]);
    expect(chips[0]).toMatchObject({ id: 'hwmon0', chip: 'power_meter', device: 'ACPI000D:00', dir: join(written.root, 'class', 'hwmon', 'hwmon0', 'device') });
    expect((await hwmon.read(sensors)).readings).toMatchObject([{ kind: 'power', powerWatts: 262 }]);
    expect(sensors[0]?.averageIntervalMs).toBe(1000);
  });

  it('names the device by its resolved path relative to the sysfs root', async () => {
    const written = tree('zenpower-multisocket');
    const [first] = (await openHwmon({ sysfsRoot: written.root }).discover()).chips;
    expect(first).toMatchObject({ id: 'hwmon0', chip: 'zenpower', device: '0000:00:1d.3', devicePath: 'devices/pci0000:00/0000:00:1d.3', duplicateName: true });
  });

  it('reads the sensors one after another, each stamped right after its own read resolved', async () => {
    const written = tree('zenergy-ryzen-laptop');
    let clock = 0;
    // Value files answer only when the test releases them, as a read stuck in the kernel would; the rest is node:fs.
    const pending: { path: string; release: () => void }[] = [];
    const io: HwmonIo = {
      ...nodeHwmonIo,
      readFile(path) {
        if (!/_(input|average)$/.test(path)) return nodeHwmonIo.readFile(path);
        return new Promise<string>((resolve, reject) => {
          pending.push({
            path,
            release: () =>
              path.endsWith('hwmon0/energy3_input') ? reject(Object.assign(new Error(`EIO: ${path}`), { code: 'EIO' })) : resolve(readFileSync(path, 'latin1')),
          });
        });
      },
    };
    const turn = () => new Promise((resolve) => setImmediate(resolve));
    const hwmon = openHwmon({ sysfsRoot: written.root, io, now: () => clock });
    const { sensors } = await hwmon.discover();
    expect(sensors.length).toBeGreaterThan(2);
    const read = hwmon.read(sensors);
    for (const [i, sensor] of sensors.entries()) {
      for (let wait = 0; wait < 100 && pending.length === 0; wait++) await turn();
      await turn();
      // One read in flight, and it is the next sensor's: the others wait for it.
      expect(pending.map(({ path }) => path)).toEqual([sensor.file]);
      clock = (i + 1) * 100;
      pending.shift()!.release();
    }
    const { readings, failures } = await read;
    expect(failures.map(({ sensor, error }) => [sensor.key, error.reason])).toEqual([['hwmon0/energy3', 'io_error']]);
    const times = new Map(sensors.map((sensor, i) => [sensor.key, (i + 1) * 100]));
    expect(readings.map((reading) => [reading.sensor.key, reading.atMs])).toEqual(
      sensors.filter((sensor) => sensor.key !== 'hwmon0/energy3').map((sensor) => [sensor.key, times.get(sensor.key)]),
    );
  });

  it('stamps each reading with the clock it was given', async () => {
    const written = tree('acpi-power-meter-262w');
    let tick = 0;
    const hwmon = openHwmon({ sysfsRoot: written.root, now: () => ++tick * 1000 });
    expect((await hwmon.read((await hwmon.discover()).sensors)).readings.map((reading) => reading.atMs)).toEqual([1000]);
  });
});

describe('reading attributes', () => {
  it('a FIFO planted as a value answers at once, and a file longer than a page is a parse error', async () => {
    const { execFileSync } = await import('node:child_process');
    const written = tree('acpi-power-meter-262w');
    const file = join(written.root, 'class', 'hwmon', 'hwmon0', 'power1_average');
    rmSync(file);
    execFileSync('mkfifo', [file]);
    const hwmon = openHwmon({ sysfsRoot: written.root });
    const { sensors } = await hwmon.discover();
    // No writer: a non-blocking open reads nothing, which is an empty value, not a hang.
    expect((await hwmon.read(sensors)).failures.map(({ error }) => error.reason)).toEqual(['parse_error']);
    rmSync(file);
    writeFileSync(file, '1'.repeat(50_000));
    const [failure] = (await hwmon.read(sensors)).failures;
    expect(failure?.error.reason).toBe('parse_error');
    expect(failure?.error.message.length).toBeLessThan(400);
  });
});
