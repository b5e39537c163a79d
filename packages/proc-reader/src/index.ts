export { classifyCgroup, classifyCgroupPath, parseProcCgroup } from './cgroup.js';
export type { CgroupClassification, CgroupLine, ContainerRuntime, ProcessCgroup } from './cgroup.js';
export { parseCgroupCpuStat, parseCpuacctStat, parseCpuacctUsageNs } from './cgroup-cpu.js';
export type { CgroupCpuStat } from './cgroup-cpu.js';
export { openCgroupFs } from './cgroupfs.js';
export type {
  CgroupDiscovery,
  CgroupFailure,
  CgroupFs,
  CgroupFsOptions,
  CgroupLayout,
  CgroupRef,
  CgroupUsage,
  CpuHierarchy,
  DiscoverCgroupsOptions,
} from './cgroupfs.js';
export { ProcError, ProcParseError, ProcReadError, reasonForCode } from './errors.js';
export type { ProcErrorReason } from './errors.js';
export { nodeProcIo } from './io.js';
export type { ProcIo } from './io.js';
export { openProcfs } from './procfs.js';
export type { Procfs, ProcfsOptions } from './procfs.js';
export { createProcessScanner } from './scanner.js';
export type { ProcessFailure, ProcessScan, ProcessScanner, ProcessScannerOptions, ProcessTimes } from './scanner.js';
export { parseCpuTimes, parseLoadavg, parseNsPids, parseProcessStat, parseUptimeSeconds } from './stat.js';
export type { CpuTimes, Loadavg, ProcessStat } from './stat.js';
