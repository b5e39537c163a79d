import { closeSync, constants, open, read } from 'node:fs';

/** The most a sysfs attribute holds: the kernel's show() fills at most one page. */
export const KERNEL_ATTRIBUTE_MAX_BYTES = 4096;

/**
 * Reads a kernel attribute file off the event loop: at most `maxBytes`, and a longer file is an error with code
 * `EFBIG` (not a huge read and a huge log line); opened non-blocking, so a FIFO planted in the tree answers at once
 * (EAGAIN, or empty). The open and the read run on libuv's thread pool because either can be stuck in the kernel
 * where O_NONBLOCK means nothing (a hung driver, a stopped FUSE daemon, an NFS server gone): it then holds one pool
 * thread while the event loop goes on answering HTTP and signals (docs/ARCHITECTURE.md, "Timing").
 *
 * Two pool jobs, not four: the kernel's show() fills an attribute in one go, so one read of `maxBytes + 1` bytes is
 * the whole value (or proves it too long), and the close is synchronous, because closing a read-only sysfs, procfs or
 * regular file does not wait on anything (on FUSE it sends a flush, which waits only if the daemon stopped between
 * the read and the close). Each pool job costs the event loop tens of microseconds of hand-off (docs/BENCHMARKS.md).
 */
export function readKernelAttribute(path: string, maxBytes: number = KERNEL_ATTRIBUTE_MAX_BYTES): Promise<string> {
  return new Promise((resolve, reject) => {
    open(path, constants.O_RDONLY | constants.O_NONBLOCK, (openError, fd) => {
      if (openError) return reject(openError);
      // Its own buffer: reads of several files may be in flight at once.
      const buffer = Buffer.allocUnsafe(maxBytes + 1);
      read(fd, buffer, 0, maxBytes + 1, null, (readError, n) => {
        closeSync(fd);
        if (readError) return reject(readError);
        if (n > maxBytes) {
          return reject(Object.assign(new Error(`${path}: more than ${maxBytes} bytes, not a sysfs attribute`), { code: 'EFBIG' }));
        }
        resolve(buffer.toString('latin1', 0, n));
      });
    });
  });
}
