export { parseDcmiPowerReading } from './dcmi.js';
export type { DcmiPowerReading, DcmiTool } from './dcmi.js';
export { IpmiError } from './errors.js';
export type { IpmiErrorOptions, IpmiErrorReason } from './errors.js';
export { parseIpmiError } from './messages.js';
export { parseSdrPowerSensors } from './sdr.js';
export type { SdrPowerSensor } from './sdr.js';
