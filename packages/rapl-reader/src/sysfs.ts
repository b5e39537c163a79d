import { KERNEL_ATTRIBUTE_MAX_BYTES, nodeKernelFsIo, readKernelAttribute, type KernelFsIo } from '@proj/kernel-files';

/**
 * The three filesystem calls this package makes (kernel-files' KernelFsIo under this package's name). Pass your own
 * to read a tree from elsewhere or to inject failures in tests; each call throws (or rejects with) what node:fs
 * throws, an Error with an errno `code`. An answer may be a value or a promise: every call is awaited.
 *
 * The default runs every call on libuv's thread pool: a read stuck in the kernel (a hung driver, a stopped FUSE
 * daemon, an NFS server gone) then holds one pool thread, not the event loop that answers HTTP and signals
 * (docs/ARCHITECTURE.md, "Timing"). A reading's timestamp is taken right after its own read resolves.
 */
export type SysfsIo = KernelFsIo;

/** The most a sysfs attribute holds: the kernel's show() fills at most one page. */
export const SYSFS_ATTRIBUTE_MAX_BYTES = KERNEL_ATTRIBUTE_MAX_BYTES;

/**
 * Reads a sysfs attribute on the thread pool: at most a page, opened non-blocking so that a FIFO planted in the tree
 * answers at once (EAGAIN, or empty) instead of hanging the sampler. A longer file rejects with code `EFBIG` rather
 * than costing a huge read and a huge log line every tick.
 */
export function readSysfsAttribute(path: string): Promise<string> {
  return readKernelAttribute(path, SYSFS_ATTRIBUTE_MAX_BYTES);
}

/** SysfsIo backed by node:fs, every call on the thread pool. */
export const nodeSysfsIo: SysfsIo = nodeKernelFsIo(SYSFS_ATTRIBUTE_MAX_BYTES);
