import { KERNEL_ATTRIBUTE_MAX_BYTES, nodeKernelFsIo, readKernelAttribute, type KernelFsIo } from '@proj/kernel-files';

/**
 * The three filesystem calls this package makes (kernel-files' KernelFsIo). Pass your own to read a tree from
 * elsewhere or to inject failures in tests; each call throws (or rejects with) what node:fs throws, an Error with an
 * errno `code`. An answer may be synchronous or a promise.
 *
 * Asynchronous because a read can be stuck in the kernel (a hung driver, a stopped FUSE daemon, an NFS server gone):
 * it then holds one thread of libuv's pool, not the event loop (docs/ARCHITECTURE.md, "Timing"). A reading's
 * timestamp is taken right after its read resolves, so a value and its time stay together.
 */
export type HwmonIo = KernelFsIo;

/** The most a sysfs attribute holds: the kernel's show() fills at most one page. */
export const HWMON_ATTRIBUTE_MAX_BYTES = KERNEL_ATTRIBUTE_MAX_BYTES;

/**
 * Reads a sysfs attribute on libuv's thread pool: at most a page, opened non-blocking so that a FIFO planted in the
 * tree answers at once (EAGAIN, or empty) instead of hanging the sampler. A longer file rejects with code `EFBIG`.
 */
export function readHwmonAttribute(path: string): Promise<string> {
  return readKernelAttribute(path, HWMON_ATTRIBUTE_MAX_BYTES);
}

/** HwmonIo backed by node:fs, every call on the thread pool. */
export const nodeHwmonIo: HwmonIo = nodeKernelFsIo(HWMON_ATTRIBUTE_MAX_BYTES);
