import { performance } from 'node:perf_hooks';
import { silentLogger, type Logger } from '@proj/metrics-core/metrics';
import { createPmonStreamParser, NvsmiError, parsePmon, type NvsmiErrorReason, type PmonRow, type PmonStreamEvent, type PmonStreamParser } from '@proj/nvsmi-parser';
import { createSupervisor, killGroup, runOnce, type Supervisor } from '@proj/subprocess';
import type { ChildCounts } from './counts.js';
import { COME_BACK_LATER as LMS_COME_BACK_LATER, exitCodeLabel, type NvidiaSmiSourceOptions } from './source.js';

/** A GPU the `-lms` source sees, by nvidia-smi index and UUID. */
export interface PmonGpu {
  readonly index: number;
  readonly uuid: string;
}

/** One pmon interval from one child: the rows of its GPUs (idle rows included), and when it arrived (monotonic ms). */
export interface PmonBatch {
  readonly rows: readonly PmonRow[];
  /** The GPUs the child watches (`-i`): a GPU of these without a row had no process. */
  readonly gpuIndexes: readonly number[];
  readonly atMs: number;
  readonly seq: number;
}

/**
 * Where a group of GPUs stands: `probing` (`pmon -c 1`), `not_supported` (the driver said so: left off until the GPU
 * set changes), `failing` (pmon cannot answer now: probed again later), `running` (a loop child is supervised).
 */
export type PmonGroupState = 'probing' | 'not_supported' | 'failing' | 'running';

/** The source as a whole: `waiting` for the `-lms` source's GPUs, the groups' states otherwise, or `stopped`. */
export type PmonState = 'waiting' | 'stopped' | PmonGroupState;

/** One child's GPUs and state. */
export interface PmonGroupStatus {
  readonly gpuIndexes: readonly number[];
  readonly state: PmonGroupState;
  /** Why, in words, when not running. */
  readonly detail: string | undefined;
}

/** What the pmon source has counted since it was created, all groups together. */
export type PmonCounts = ChildCounts;

/** The pmon source's state. */
export interface PmonStatus {
  /** `running` when any group runs; else `probing` when any probes; `not_supported` when every group is. */
  readonly state: PmonState;
  readonly groups: readonly PmonGroupStatus[];
  /** pmon's `-d`, whole seconds. */
  readonly delaySeconds: number;
  readonly counts: PmonCounts;
}

/**
 * Options for createPmonSource: those of the nvidia-smi source. `intervalMs` is the exporter's (pmon's `-d` is it
 * rounded up to whole seconds, within 1-10); `stallAfterMs` defaults to max(3 pmon intervals, 5 s),
 * `reprobeEveryMs` (a failing group) to 30 s, `probeTimeoutMs` (`pmon -c 1`) to 10 s.
 */
export type PmonSourceOptions = NvidiaSmiSourceOptions;

/** Supervised `nvidia-smi pmon` children, one per group of up to 4 GPUs. Knows nothing of Prometheus. */
export interface PmonSource {
  /** The GPUs to watch; when the set differs from the last, every child is stopped and the new groups probed. */
  watch(gpus: readonly PmonGpu[]): void;
  /** Kills every child and probe; resolves when they have exited. */
  stop(): Promise<void>;
  /** The intervals that arrived since the last call, oldest first. */
  takeBatches(): PmonBatch[];
  status(): PmonStatus;
}

/** pmon watches at most this many GPUs per process. */
export const PMON_MAX_GPUS = 4;
// pmon prints an interval in one burst and then sleeps for -d seconds: this long without output ends the burst.
const QUIET_MS = 100;
// As for the -lms child, and an option this nvidia-smi does not know (`-s um` on a very old one).
const COME_BACK_LATER: ReadonlySet<NvsmiErrorReason> = new Set([...LMS_COME_BACK_LATER, 'invalid_arguments']);

/** pmon's `-d` for an exporter interval: whole seconds, rounded up, within the 1-10 that pmon accepts. */
export function pmonDelaySeconds(intervalMs: number): number {
  return Math.min(10, Math.max(1, Math.ceil(intervalMs / 1000)));
}

/** GPU indexes in groups of at most PMON_MAX_GPUS, in index order: one pmon child (`-i a,b,c,d`) per group. */
export function groupGpuIndexes(indexes: readonly number[]): number[][] {
  const sorted = [...new Set(indexes)].sort((a, b) => a - b);
  const groups: number[][] = [];
  for (let i = 0; i < sorted.length; i += PMON_MAX_GPUS) groups.push(sorted.slice(i, i + PMON_MAX_GPUS));
  return groups;
}

interface Group {
  readonly gpuIndexes: readonly number[];
  state: PmonGroupState;
  detail: string | undefined;
  supervisor: Supervisor | undefined;
  probeTimer: NodeJS.Timeout | undefined;
  flushTimer: NodeJS.Timeout | undefined;
  probing: Promise<void> | undefined;
  /** False once the group was replaced or the source stopped: its late callbacks change nothing. */
  live: boolean;
}

/**
 * Creates the pmon source: for each group of up to 4 of the GPUs given to watch(), probes `nvidia-smi pmon -c 1 -s um
 * -i <group>` once (through @proj/subprocess) and, unless the driver answers `Not supported`, keeps one long-lived
 * `pmon -s um -d <s> -i <group>` child under a supervisor (restart with backoff, killed when no interval comes in
 * time). A failing group is probed again every `reprobeEveryMs`; a changed GPU set is probed again at once.
 */
export function createPmonSource(options: PmonSourceOptions): PmonSource {
  const { command } = options;
  const logger = options.logger ?? silentLogger;
  const now = options.now ?? (() => performance.now());
  const delaySeconds = pmonDelaySeconds(options.intervalMs);
  const probeTimeoutMs = options.probeTimeoutMs ?? 10_000;
  const reprobeEveryMs = options.reprobeEveryMs ?? 30_000;
  const stallAfterMs = options.stallAfterMs ?? Math.max(3 * delaySeconds * 1000, 5000);
  const startupGraceMs = options.startupGraceMs ?? Math.max(stallAfterMs, 15_000);
  const maxQueuedBatches = options.maxQueuedBatches ?? 64;

  if (delaySeconds * 1000 !== options.intervalMs) {
    logger.info('nvidia-smi pmon samples in whole seconds: its -d is the interval rounded up (1-10 s)', { interval_ms: options.intervalMs, pmon_delay_s: delaySeconds });
  }
  let watchedKey: string | undefined;
  let groups: Group[] = [];
  let queue: PmonBatch[] = [];
  let seq = 0;
  let stopped = false;
  let probes = new AbortController();
  const loggedReasons = new Set<string>();
  const counts = { restarts: 0, stalls: 0, exits: new Map<string, number>(), readErrors: new Map<string, number>() };

  const countError = (reason: string, message: string): void => {
    counts.readErrors.set(reason, (counts.readErrors.get(reason) ?? 0) + 1);
    if (!loggedReasons.has(reason)) {
      loggedReasons.add(reason);
      logger.warn('nvidia-smi pmon output was not data', { reason, error: message });
    }
  };

  const setState = (group: Group, state: PmonGroupState, detail?: string): void => {
    if (state !== group.state || detail !== group.detail) {
      const gpus = group.gpuIndexes.join(',');
      if (state === 'running') logger.info('nvidia-smi pmon running', { gpus, delay_s: delaySeconds });
      else if (state === 'not_supported') logger.info('nvidia-smi pmon not supported: per-process GPU use left off', { gpus, reason: detail });
      else if (state === 'failing') logger.warn('nvidia-smi pmon unavailable', { gpus, reason: detail, retry_in_s: reprobeEveryMs / 1000 });
    }
    group.state = state;
    group.detail = detail;
  };

  const scheduleProbe = (group: Group, delayMs: number): void => {
    clearTimeout(group.probeTimer);
    if (!group.live) return;
    group.probeTimer = setTimeout(() => void probe(group), delayMs);
  };

  const fail = (group: Group, detail: string): void => {
    setState(group, 'failing', detail);
    scheduleProbe(group, reprobeEveryMs);
  };

  const probeOnce = async (group: Group): Promise<void> => {
    setState(group, 'probing');
    const args = ['pmon', '-c', '1', '-s', 'um', '-d', '1', '-i', group.gpuIndexes.join(',')];
    const run = await runOnce(command, args, { timeoutMs: probeTimeoutMs, signal: probes.signal });
    if (!group.live) return;
    if (run.kind === 'aborted') return;
    if (run.kind === 'spawn_failed') {
      countError('spawn', run.message);
      return fail(group, `cannot run ${command} pmon (${run.code})`);
    }
    if (run.kind !== 'exited') {
      countError('timeout', `pmon -c 1 timed out after ${probeTimeoutMs} ms`);
      return fail(group, `${command} pmon -c 1 did not answer within ${probeTimeoutMs} ms`);
    }
    try {
      const output = parsePmon(run.stdout + (run.stdout.trim() === '' ? run.stderr : ''));
      for (const error of output.errors) countError(error.reason, error.message);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (error instanceof NvsmiError && error.reason === 'not_supported') {
        setState(group, 'not_supported', `pmon: ${message}`);
        return;
      }
      countError(error instanceof NvsmiError ? error.reason : 'unrecognised_line', message);
      return fail(group, `pmon -c 1 (exit code ${run.code}): ${message}`);
    }
    startLoop(group);
  };

  const probe = (group: Group): Promise<void> => (group.probing ??= probeOnce(group).finally(() => (group.probing = undefined)));

  const startLoop = (group: Group): void => {
    let parser: PmonStreamParser;
    let starts = 0;
    let notSupported: NvsmiError | undefined;
    let comeBackLater: NvsmiError | undefined;
    const handle = (events: PmonStreamEvent[]): void => {
      if (!group.live) return;
      for (const event of events) {
        if (event.type === 'sample') {
          current.progress();
          queue.push({ rows: event.sample.rows, gpuIndexes: group.gpuIndexes, atMs: now(), seq: ++seq });
          if (queue.length > maxQueuedBatches) queue.shift();
        } else if (event.type === 'error') {
          countError(event.error.reason, event.error.message);
          if (event.error.reason === 'not_supported') notSupported = event.error;
          else if (COME_BACK_LATER.has(event.error.reason)) comeBackLater = event.error;
          if (notSupported ?? comeBackLater) killGroup(current.pid(), 'SIGKILL'); // its exit handler decides
        }
      }
    };
    const current = createSupervisor({
      command,
      args: ['pmon', '-s', 'um', '-d', String(delaySeconds), '-i', group.gpuIndexes.join(',')],
      stallAfterMs,
      startupGraceMs,
      ...(options.backoffInitialMs === undefined ? {} : { backoffInitialMs: options.backoffInitialMs }),
      ...(options.backoffMaxMs === undefined ? {} : { backoffMaxMs: options.backoffMaxMs }),
      onStart() {
        if (starts++ > 0) counts.restarts++;
        parser = createPmonStreamParser();
      },
      onStdout(chunk) {
        handle(parser.push(chunk));
        // The interval in progress is complete once pmon goes quiet (it would otherwise wait for the next one).
        clearTimeout(group.flushTimer);
        group.flushTimer = setTimeout(() => handle(parser.flush()), QUIET_MS);
      },
      onExit(exit) {
        clearTimeout(group.flushTimer);
        handle(parser.end());
        const code = exitCodeLabel(exit);
        if (exit.reason !== 'stopped') {
          counts.exits.set(code, (counts.exits.get(code) ?? 0) + 1);
          if (exit.reason === 'stalled') counts.stalls++;
          logger.warn('nvidia-smi pmon exited', { gpus: group.gpuIndexes.join(','), reason: exit.reason, code: exit.code, signal: exit.signal, stderr: exit.stderrTail.slice(-300) || undefined });
        }
        if (!group.live) return 'stop';
        if (exit.reason === 'spawn_failed') {
          group.supervisor = undefined;
          fail(group, `cannot run ${command} pmon (${exit.spawnError ?? 'UNKNOWN'})`);
          return 'stop';
        }
        if (notSupported) {
          group.supervisor = undefined;
          setState(group, 'not_supported', `pmon: ${notSupported.message}`);
          return 'stop';
        }
        if (comeBackLater) {
          group.supervisor = undefined;
          fail(group, `pmon: ${comeBackLater.message}`);
          return 'stop';
        }
        return 'restart';
      },
    });
    group.supervisor = current;
    setState(group, 'running');
    current.start();
  };

  const stopGroups = async (old: Group[]): Promise<void> => {
    for (const group of old) {
      group.live = false;
      clearTimeout(group.probeTimer);
      clearTimeout(group.flushTimer);
    }
    probes.abort();
    probes = new AbortController();
    await Promise.all(old.map(async (group) => {
      await group.probing;
      await group.supervisor?.stop();
      group.supervisor = undefined;
    }));
  };

  let reconfiguring: Promise<void> = Promise.resolve();

  return {
    watch(gpus) {
      if (stopped) return;
      const key = [...gpus].sort((a, b) => a.index - b.index).map((gpu) => `${gpu.index}:${gpu.uuid}`).join(',');
      if (key === watchedKey) return;
      if (watchedKey !== undefined) logger.info('GPU set changed: probing nvidia-smi pmon again', { gpus: key });
      watchedKey = key;
      const old = groups;
      const next: Group[] = groupGpuIndexes(gpus.map((gpu) => gpu.index)).map((gpuIndexes) => ({
        gpuIndexes,
        state: 'probing',
        detail: undefined,
        supervisor: undefined,
        probeTimer: undefined,
        flushTimer: undefined,
        probing: undefined,
        live: true,
      }));
      groups = next;
      queue = [];
      reconfiguring = reconfiguring.then(async () => {
        await stopGroups(old);
        if (stopped) return;
        for (const group of next) if (group.live) void probe(group);
      });
    },
    async stop() {
      stopped = true;
      const old = groups;
      await reconfiguring;
      await stopGroups(old);
    },
    takeBatches() {
      const taken = queue;
      queue = [];
      return taken;
    },
    status() {
      const states = groups.map((group) => group.state);
      const state: PmonState = stopped
        ? 'stopped'
        : groups.length === 0
          ? 'waiting'
          : states.includes('running')
            ? 'running'
            : states.includes('probing')
              ? 'probing'
              : states.every((s) => s === 'not_supported')
                ? 'not_supported'
                : 'failing';
      return {
        state,
        groups: groups.map((group) => ({ gpuIndexes: group.gpuIndexes, state: group.state, detail: group.detail })),
        delaySeconds,
        counts,
      };
    },
  };
}
