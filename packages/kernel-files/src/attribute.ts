import { close, constants, open, read } from 'node:fs';

/** The most a sysfs attribute holds: the kernel's show() fills at most one page. */
export const KERNEL_ATTRIBUTE_MAX_BYTES = 4096;

/**
 * Reads a kernel attribute file on libuv's thread pool: at most `maxBytes`, and a longer file is an error with code
 * `EFBIG` (not a huge read and a huge log line); opened non-blocking, so a FIFO planted in the tree answers at once
 * (EAGAIN, or empty). Asynchronous because a read can be stuck in the kernel where O_NONBLOCK means nothing (a hung
 * driver, a stopped FUSE daemon, an NFS server gone): it then holds one pool thread while the event loop goes on
 * answering HTTP and signals (docs/ARCHITECTURE.md, "Timing").
 */
export function readKernelAttribute(path: string, maxBytes: number = KERNEL_ATTRIBUTE_MAX_BYTES): Promise<string> {
  return new Promise((resolve, reject) => {
    open(path, constants.O_RDONLY | constants.O_NONBLOCK, (openError, fd) => {
      if (openError) return reject(openError);
      // Its own buffer: reads of several files may be in flight at once.
      const buffer = Buffer.allocUnsafe(maxBytes + 1);
      const finish = (error: Error | null, text?: string): void =>
        close(fd, () => (error ? reject(error) : resolve(text!)));
      const readFrom = (length: number): void => {
        read(fd, buffer, length, maxBytes + 1 - length, null, (readError, n) => {
          if (readError) return finish(readError);
          if (n === 0) return finish(null, buffer.toString('latin1', 0, length));
          if (length + n > maxBytes) {
            return finish(Object.assign(new Error(`${path}: more than ${maxBytes} bytes, not a sysfs attribute`), { code: 'EFBIG' }));
          }
          readFrom(length + n);
        });
      };
      readFrom(0);
    });
  });
}
