import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KERNEL_ATTRIBUTE_MAX_BYTES, readKernelAttribute } from './attribute.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kernel-files-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('readKernelAttribute', async () => {
  it('reads a value, and a file of exactly the limit', async () => {
    writeFileSync(join(dir, 'value'), '123456\n');
    expect(await readKernelAttribute(join(dir, 'value'))).toBe('123456\n');
    writeFileSync(join(dir, 'page'), '7'.repeat(KERNEL_ATTRIBUTE_MAX_BYTES));
    expect(await readKernelAttribute(join(dir, 'page'))).toHaveLength(KERNEL_ATTRIBUTE_MAX_BYTES);
  });

  it('refuses a file one byte over the limit with EFBIG, for the default and for a given limit', async () => {
    writeFileSync(join(dir, 'long'), '1'.repeat(KERNEL_ATTRIBUTE_MAX_BYTES + 1));
    await expect(readKernelAttribute(join(dir, 'long'))).rejects.toMatchObject({ code: 'EFBIG' });
    writeFileSync(join(dir, 'eleven'), '12345678901');
    expect(await readKernelAttribute(join(dir, 'eleven'), 11)).toBe('12345678901');
    await expect(readKernelAttribute(join(dir, 'eleven'), 10)).rejects.toMatchObject({ code: 'EFBIG' });
  });

  it('reads more than a page when the limit allows it, and a page again afterwards', async () => {
    writeFileSync(join(dir, 'big'), 'x'.repeat(3 * KERNEL_ATTRIBUTE_MAX_BYTES));
    expect(await readKernelAttribute(join(dir, 'big'), 4 * KERNEL_ATTRIBUTE_MAX_BYTES)).toHaveLength(3 * KERNEL_ATTRIBUTE_MAX_BYTES);
    await expect(readKernelAttribute(join(dir, 'big'))).rejects.toMatchObject({ code: 'EFBIG' });
  });

  it('throws node:fs errors with their code (ENOENT)', async () => {
    await expect(readKernelAttribute(join(dir, 'missing'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('answers at once for a FIFO, with no writer and with a silent one', async () => {
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    expect(await readKernelAttribute(fifo)).toBe('');
    const writer = openSync(fifo, constants.O_RDWR);
    try {
      await expect(readKernelAttribute(fifo)).rejects.toMatchObject({ code: 'EAGAIN' });
    } finally {
      closeSync(writer);
    }
  });
});
