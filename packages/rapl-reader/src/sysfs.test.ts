import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { toReadError } from './errors.js';
import { readEnergy } from './read.js';
import { readSysfsAttribute, SYSFS_ATTRIBUTE_MAX_BYTES } from './sysfs.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sysfs-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('readSysfsAttribute', () => {
  it('reads a value, and a file of exactly one page', async () => {
    writeFileSync(join(dir, 'energy_uj'), '123456\n');
    expect(await readSysfsAttribute(join(dir, 'energy_uj'))).toBe('123456\n');
    writeFileSync(join(dir, 'page'), '7'.repeat(SYSFS_ATTRIBUTE_MAX_BYTES));
    expect(await readSysfsAttribute(join(dir, 'page'))).toHaveLength(SYSFS_ATTRIBUTE_MAX_BYTES);
  });

  it('refuses a file longer than a page with EFBIG, a parse_error, without reading it all', async () => {
    const file = join(dir, 'energy_uj');
    writeFileSync(file, '1'.repeat(50 * 1024 * 1024));
    let thrown: unknown;
    try {
      await readSysfsAttribute(file);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ code: 'EFBIG' });
    const readError = toReadError(file, thrown);
    expect(readError.reason).toBe('parse_error');
    expect(readError.message.length).toBeLessThan(200);
  });

  it('answers at once for a FIFO in place of energy_uj, with no writer and with a silent one', async () => {
    const fifo = join(dir, 'energy_uj');
    execFileSync('mkfifo', [fifo]);
    // No writer: an empty read, which the parser then rejects.
    expect(await readSysfsAttribute(fifo)).toBe('');
    // A writer that holds the FIFO open and writes nothing (O_RDWR opens a FIFO without waiting): EAGAIN, not a hang.
    const writer = openSync(fifo, constants.O_RDWR);
    try {
      await expect(readSysfsAttribute(fifo)).rejects.toMatchObject({ code: 'EAGAIN' });
    } finally {
      closeSync(writer);
    }
  });

  it('lets readEnergy report a FIFO zone as a failure beside the zones that work', async () => {
    const fifoZone = join(dir, 'intel-rapl:0');
    const goodZone = join(dir, 'intel-rapl:1');
    execFileSync('mkdir', [fifoZone, goodZone]);
    execFileSync('mkfifo', [join(fifoZone, 'energy_uj')]);
    writeFileSync(join(goodZone, 'energy_uj'), '42\n');
    const zone = (id: string, zoneDir: string) => ({ id, name: id, zone: id, package: undefined, dir: zoneDir, maxEnergyRangeUj: null });
    const { readings, failures } = await readEnergy([zone('intel-rapl:0', fifoZone), zone('intel-rapl:1', goodZone)]);
    expect(readings.map((r) => r.energyUj)).toEqual([42]);
    expect(failures).toHaveLength(1);
    expect(failures[0]!.error.reason).toBe('parse_error');
  });
});
