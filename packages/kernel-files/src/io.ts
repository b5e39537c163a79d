import { readdir, realpath } from 'node:fs/promises';
import { KERNEL_ATTRIBUTE_MAX_BYTES, readKernelAttribute } from './attribute.js';

/** A value now or later: `await` takes both, so a reader written with `await` accepts a synchronous io in tests. */
export type MaybePromise<T> = T | Promise<T>;

/**
 * The filesystem calls a sysfs reader makes (rapl-reader, hwmon-reader). Pass your own to read a tree from elsewhere
 * or to inject failures in tests; each call throws (or rejects with) what node:fs throws, an Error with an errno
 * `code`. An answer may be synchronous or a promise.
 */
export interface KernelFsIo {
  readFile(path: string): MaybePromise<string>;
  readdir(path: string): MaybePromise<string[]>;
  realpath(path: string): MaybePromise<string>;
}

/** KernelFsIo on node:fs, every call on the thread pool; attributes are read with readKernelAttribute. */
export function nodeKernelFsIo(maxBytes: number = KERNEL_ATTRIBUTE_MAX_BYTES): KernelFsIo {
  return {
    readFile: (path) => readKernelAttribute(path, maxBytes),
    readdir: (path) => readdir(path),
    realpath: (path) => realpath(path),
  };
}
