export { isRunning, killGroup, liveProcessGroups, trackGroup, untrackGroup } from './groups.js';
export { findExecutable, parentDeathHelper, withParentDeathSignal } from './pdeathsig.js';
export { runOnce } from './run.js';
export type { RunOnceOptions, RunResult } from './run.js';
export { spawnGroup } from './spawn.js';
export type { SpawnGroupOptions } from './spawn.js';
export { createSupervisor } from './supervisor.js';
export type { AfterExit, ChildExit, Supervisor, SupervisorOptions } from './supervisor.js';
