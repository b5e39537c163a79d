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

describe('readKernelAttribute', () => {
  it('reads a value, and a file of exactly the limit', () => {
    writeFileSync(join(dir, 'value'), '123456\n');
    expect(readKernelAttribute(join(dir, 'value'))).toBe('123456\n');
    writeFileSync(join(dir, 'page'), '7'.repeat(KERNEL_ATTRIBUTE_MAX_BYTES));
    expect(readKernelAttribute(join(dir, 'page'))).toHaveLength(KERNEL_ATTRIBUTE_MAX_BYTES);
  });

  it('refuses a file one byte over the limit with EFBIG, for the default and for a given limit', () => {
    writeFileSync(join(dir, 'long'), '1'.repeat(KERNEL_ATTRIBUTE_MAX_BYTES + 1));
    expect(() => readKernelAttribute(join(dir, 'long'))).toThrow(expect.objectContaining({ code: 'EFBIG' }));
    writeFileSync(join(dir, 'eleven'), '12345678901');
    expect(readKernelAttribute(join(dir, 'eleven'), 11)).toBe('12345678901');
    expect(() => readKernelAttribute(join(dir, 'eleven'), 10)).toThrow(expect.objectContaining({ code: 'EFBIG' }));
  });

  it('reads more than a page when the limit allows it, and a page again afterwards', () => {
    writeFileSync(join(dir, 'big'), 'x'.repeat(3 * KERNEL_ATTRIBUTE_MAX_BYTES));
    expect(readKernelAttribute(join(dir, 'big'), 4 * KERNEL_ATTRIBUTE_MAX_BYTES)).toHaveLength(3 * KERNEL_ATTRIBUTE_MAX_BYTES);
    expect(() => readKernelAttribute(join(dir, 'big'))).toThrow(expect.objectContaining({ code: 'EFBIG' }));
  });

  it('throws node:fs errors with their code (ENOENT)', () => {
    expect(() => readKernelAttribute(join(dir, 'missing'))).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });

  it('answers at once for a FIFO, with no writer and with a silent one', () => {
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    expect(readKernelAttribute(fifo)).toBe('');
    const writer = openSync(fifo, constants.O_RDWR);
    try {
      expect(() => readKernelAttribute(fifo)).toThrow(expect.objectContaining({ code: 'EAGAIN' }));
    } finally {
      closeSync(writer);
    }
  });
});
