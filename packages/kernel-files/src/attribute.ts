import { closeSync, constants, openSync, readSync } from 'node:fs';

/** The most a sysfs attribute holds: the kernel's show() fills at most one page. */
export const KERNEL_ATTRIBUTE_MAX_BYTES = 4096;

// One buffer for every read, grown only for a larger limit: a byte more than the limit, to tell a full one from a
// longer file.
let buffer = Buffer.alloc(KERNEL_ATTRIBUTE_MAX_BYTES + 1);

/**
 * Reads a kernel attribute file: at most `maxBytes`, opened non-blocking so that a FIFO planted in the tree answers
 * at once (EAGAIN, or empty) instead of hanging the caller. A longer file throws an error with code `EFBIG` rather
 * than costing a huge read and a huge log line. Synchronous on purpose: the kernel generates an attribute in
 * microseconds, and a synchronous read keeps a value and its timestamp together.
 */
export function readKernelAttribute(path: string, maxBytes: number = KERNEL_ATTRIBUTE_MAX_BYTES): string {
  if (buffer.length < maxBytes + 1) buffer = Buffer.alloc(maxBytes + 1);
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    let length = 0;
    for (;;) {
      const n = readSync(fd, buffer, length, maxBytes + 1 - length, null);
      if (n === 0) break;
      length += n;
      if (length > maxBytes) {
        throw Object.assign(new Error(`${path}: more than ${maxBytes} bytes, not a sysfs attribute`), { code: 'EFBIG' });
      }
    }
    return buffer.toString('latin1', 0, length);
  } finally {
    closeSync(fd);
  }
}
