export { columnsForFields, CSV_SEPARATOR, decodeQueryRow, headerColumns, parseQueryCsv, parseQueryHeader } from './csv.js';
export type { QueryColumn, QueryCsvOptions, QueryRow, QueryTable } from './csv.js';
export {
  NvsmiBatchError,
  NvsmiDeviceHandleError,
  NvsmiDriverError,
  NvsmiError,
  NvsmiGpuLostError,
  NvsmiHeaderError,
  NvsmiInvalidFieldError,
  NvsmiLineError,
  NvsmiMessageError,
  NvsmiNoDevicesError,
  NvsmiRowError,
} from './errors.js';
export type { NvsmiErrorOptions, NvsmiErrorReason } from './errors.js';
export { parseHelpQueryGpu, resolveField } from './help.js';
export type { HelpQueryGpu, QueryGpuField } from './help.js';
export { parseGpuList } from './list.js';
export type { GpuList, ListedGpu, ListedMigDevice } from './list.js';
export { createMessageClassifier, isNvidiaSmiMessageContinuation, parseNvidiaSmiError, parseNvidiaSmiMessage } from './messages.js';
export type { MessageLine } from './messages.js';
export { createQueryStreamParser } from './stream.js';
export type { QueryStreamEvent, QueryStreamOptions, QueryStreamParser } from './stream.js';
export { decodeValue, numberOf, textOf } from './value.js';
export type { AbsentReason, NvsmiValue } from './value.js';
