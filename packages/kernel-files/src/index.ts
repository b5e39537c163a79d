export { KERNEL_ATTRIBUTE_MAX_BYTES, readKernelAttribute } from './attribute.js';
export { nodeKernelFsIo } from './io.js';
export type { KernelFsIo, MaybePromise } from './io.js';
export { parseKernelInteger } from './integer.js';
export { errnoCode, errnoReason, KernelFileError, quoteValue } from './errors.js';
export type { KernelFileReason } from './errors.js';
