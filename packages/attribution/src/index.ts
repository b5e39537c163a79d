export { createAttributor, processKey } from './attributor.js';
export type {
  AttributionSnapshot,
  AttributionStep,
  AttributionTotals,
  Attributor,
  AttributorOptions,
  CgroupEnergy,
  CgroupSample,
  ContainerEnergy,
  CpuSample,
  NodeEnergy,
  ProcessEnergy,
  ProcessSample,
  ZoneEnergy,
  ZoneStep,
} from './attributor.js';
export { attributeEnergy, shareJoules, splitEnergy, usecToTicks } from './split.js';
export type { EnergySplit } from './split.js';
export { processWeight, splitGpuEnergy } from './gpu.js';
export type { GpuEnergySplit, ProcessUse } from './gpu.js';
