import { performance } from 'node:perf_hooks';
import { silentLogger, type Logger } from '@proj/metrics-core/metrics';
import { createQueryStreamParser, type HelpQueryGpu, type NvsmiError, type NvsmiErrorReason, type QueryRow, type QueryStreamEvent, type QueryStreamParser } from '@proj/nvsmi-parser';
import { createSupervisor, killGroup, type ChildExit, type Supervisor } from '@proj/subprocess';
import type { ChildCounts } from './counts.js';
import type { FieldSelection } from './fields.js';
import { probeNvidiaSmi, type ProbeError, type ProbeOutcome } from './probe.js';

/** One complete answer from nvidia-smi: a row per GPU, and when it arrived (monotonic ms). */
export interface GpuBatch {
  readonly rows: readonly QueryRow[];
  readonly atMs: number;
  readonly seq: number;
}

/**
 * Where the source stands: `starting` (first probe), `missing` (nvidia-smi cannot be run), `failing` (it runs but
 * cannot answer: no driver, garbage, timeout), `no_gpus`, `running` (a loop child is supervised), `stopped`.
 */
export type SourceState = 'starting' | 'missing' | 'failing' | 'no_gpus' | 'running' | 'stopped';

/** What the source has counted since it was created; the collector turns these into counters. */
export type SourceCounts = ChildCounts;

/** The source's state. */
export interface SourceStatus {
  readonly state: SourceState;
  /** Why, in words, when not running. */
  readonly detail: string | undefined;
  /** GPUs in the loop's answers; 0 when not running. */
  readonly gpuCount: number;
  readonly selection: FieldSelection | undefined;
  readonly lastExit: ChildExit | undefined;
  readonly counts: SourceCounts;
}

/** How a child's end is counted: its exit code, `signal_<NAME>`, or the spawn errno (`ENOENT`). */
export function exitCodeLabel(exit: ChildExit): string {
  return exit.spawnError ?? (exit.code === null ? `signal_${exit.signal ?? 'unknown'}` : String(exit.code));
}

/** Options for createNvidiaSmiSource (and, with the pmon interval rounded up to whole seconds, createPmonSource). */
export interface NvidiaSmiSourceOptions {
  /** Path or name of nvidia-smi. */
  readonly command: string;
  /** The `-lms` interval. */
  readonly intervalMs: number;
  readonly logger?: Logger;
  /** Limit for a one-shot probe (`--help-query-gpu`, the first query). */
  readonly probeTimeoutMs?: number;
  /** How often to try again when nvidia-smi is missing, failing, or sees no GPU (a driver installed later). */
  readonly reprobeEveryMs?: number;
  /** Kill the loop child when no complete batch came for this long. Default max(3 intervals, 5 s). */
  readonly stallAfterMs?: number;
  /** ... or, after it started, for this long. */
  readonly startupGraceMs?: number;
  readonly backoffInitialMs?: number;
  readonly backoffMaxMs?: number;
  /** Batches kept for takeBatches() between two calls; older ones are dropped. */
  readonly maxQueuedBatches?: number;
  readonly now?: () => number;
}

/** One supervised `nvidia-smi --query-gpu=... -lms N`, with the probes around it. Knows nothing of Prometheus. */
export interface NvidiaSmiSource {
  /** Probes once (so the first sample can have data), then starts the loop. */
  start(): Promise<void>;
  /** Kills the child's process group, cancels probes; resolves when everything has exited. */
  stop(): Promise<void>;
  /** The complete batches that arrived since the last call, oldest first. */
  takeBatches(): GpuBatch[];
  /** The latest complete batch, or undefined. */
  latest(): GpuBatch | undefined;
  status(): SourceStatus;
}

/** nvidia-smi's own failures that mean "ask again later", not "restart now". */
export const COME_BACK_LATER: ReadonlySet<NvsmiErrorReason> = new Set([
  'driver_unreachable',
  'nvml_library_not_found',
  'driver_version_mismatch',
  'nvml_init_failed',
  'no_devices',
]);
// Consecutive incomplete batches after which the GPU set is taken to have changed (a GPU lost or added).
const INCOMPLETE_BATCHES_BEFORE_REPROBE = 3;

/**
 * Creates the nvidia-smi source: probes (probeNvidiaSmi) for the fields this driver knows and a first answer, then
 * keeps one long-lived `--query-gpu=<fields> --format=csv,noheader,nounits -lms <interval>` child under a supervisor
 * (@proj/subprocess). Missing, failing or GPU-less nvidia-smi is probed again every `reprobeEveryMs`; a changed GPU
 * set or driver is probed again at once. What it counts is in its status.
 */
export function createNvidiaSmiSource(options: NvidiaSmiSourceOptions): NvidiaSmiSource {
  const { command, intervalMs } = options;
  const logger = options.logger ?? silentLogger;
  const now = options.now ?? (() => performance.now());
  const probeTimeoutMs = options.probeTimeoutMs ?? 10_000;
  const reprobeEveryMs = options.reprobeEveryMs ?? 30_000;
  const stallAfterMs = options.stallAfterMs ?? Math.max(3 * intervalMs, 5000);
  const startupGraceMs = options.startupGraceMs ?? Math.max(stallAfterMs, 15_000);
  const maxQueuedBatches = options.maxQueuedBatches ?? 64;

  let state: SourceState = 'starting';
  let detail: string | undefined;
  let selection: FieldSelection | undefined;
  let latest: GpuBatch | undefined;
  let queue: GpuBatch[] = [];
  let seq = 0;
  let gpuCount = 0;
  let lastExit: ChildExit | undefined;
  let supervisor: Supervisor | undefined;
  let probeTimer: NodeJS.Timeout | undefined;
  let probing: Promise<void> | undefined;
  let stopped = false;
  // Aborted by stop(): a probe in flight is killed rather than waited for.
  let probes = new AbortController();
  const loggedReasons = new Set<string>();
  const counts = { restarts: 0, stalls: 0, exits: new Map<string, number>(), readErrors: new Map<string, number>() };

  const publish = (rows: readonly QueryRow[]): void => {
    latest = { rows, atMs: now(), seq: ++seq };
    queue.push(latest);
    if (queue.length > maxQueuedBatches) queue.shift();
  };

  const setState = (next: SourceState, why?: string): void => {
    if (next !== state || why !== detail) {
      if (next === 'running') logger.info('nvidia-smi running', { gpus: gpuCount, fields: selection?.fields.length });
      else if (next !== 'stopped') logger.warn('nvidia-smi unavailable', { state: next, reason: why, retry_in_s: reprobeEveryMs / 1000 });
    }
    state = next;
    detail = why;
    if (next !== 'running') gpuCount = 0;
  };

  const countError = (error: ProbeError): void => {
    counts.readErrors.set(error.reason, (counts.readErrors.get(error.reason) ?? 0) + 1);
    // Log the first of each kind; the counter says how many followed.
    if (!loggedReasons.has(error.reason)) {
      loggedReasons.add(error.reason);
      logger.warn('nvidia-smi output was not data', { reason: error.reason, error: error.message });
    }
  };

  const scheduleProbe = (delayMs: number): void => {
    clearTimeout(probeTimer);
    if (stopped) return;
    probeTimer = setTimeout(() => void probe(), delayMs);
  };

  const unavailable = (outcome: Extract<ProbeOutcome, { kind: 'unavailable' }>): void => {
    for (const error of outcome.errors) countError(error);
    setState(outcome.state, outcome.detail);
    scheduleProbe(reprobeEveryMs);
  };

  const probeOnce = async (): Promise<void> => {
    const outcome = await probeNvidiaSmi(command, { timeoutMs: probeTimeoutMs, signal: probes.signal });
    if (stopped || outcome.kind === 'aborted') return;
    if (outcome.kind === 'unavailable') return unavailable(outcome);
    for (const error of outcome.errors) countError(error);
    if (selection === undefined || selection.fields.join() !== outcome.selection.fields.join()) {
      logger.info('nvidia-smi fields', {
        queried: outcome.selection.fields.join(','),
        unsupported: outcome.selection.unsupported.map((m) => m.field).join(',') || 'none',
      });
    }
    selection = outcome.selection;
    publish(outcome.rows);
    startLoop(outcome.help, outcome.selection, [...outcome.queryArgs, '-lms', String(intervalMs)], outcome.rows.length);
  };

  const probe = (): Promise<void> => (probing ??= probeOnce().finally(() => (probing = undefined)));

  const startLoop = (help: HelpQueryGpu, chosen: FieldSelection, args: string[], gpus: number): void => {
    let parser: QueryStreamParser;
    let starts = 0;
    let incomplete = 0;
    let comeBackLater: NvsmiError | undefined;
    let reprobeNow = false;
    const handle = (events: QueryStreamEvent[]): void => {
      for (const event of events) {
        if (event.type === 'batch') {
          incomplete = 0;
          current.progress();
          publish(event.rows);
        } else if (event.type === 'error') {
          countError(event.error);
          if (COME_BACK_LATER.has(event.error.reason)) comeBackLater = event.error;
          if (event.error.reason === 'invalid_field') reprobeNow = true;
          if (event.error.reason === 'incomplete_batch' && ++incomplete >= INCOMPLETE_BATCHES_BEFORE_REPROBE) reprobeNow = true;
          if (reprobeNow) killGroup(current.pid(), 'SIGKILL'); // its exit handler probes again
        }
      }
    };
    const current = createSupervisor({
      command,
      args,
      stallAfterMs,
      startupGraceMs,
      ...(options.backoffInitialMs === undefined ? {} : { backoffInitialMs: options.backoffInitialMs }),
      ...(options.backoffMaxMs === undefined ? {} : { backoffMaxMs: options.backoffMaxMs }),
      onStart() {
        if (starts++ > 0) counts.restarts++;
        parser = createQueryStreamParser({ header: false, fields: chosen.fields, gpuCount: gpus, help });
      },
      onStdout: (chunk) => handle(parser.push(chunk)),
      onExit(exit) {
        handle(parser.end());
        lastExit = exit;
        const code = exitCodeLabel(exit);
        counts.exits.set(code, (counts.exits.get(code) ?? 0) + 1);
        if (exit.reason === 'stalled') counts.stalls++;
        logger.warn('nvidia-smi exited', { reason: exit.reason, code: exit.code, signal: exit.signal, stderr: exit.stderrTail.slice(-300) || undefined });
        if (exit.reason === 'spawn_failed') {
          supervisor = undefined;
          unavailable({
            kind: 'unavailable',
            state: 'missing',
            detail: `cannot run ${command} (${exit.spawnError ?? 'UNKNOWN'})`,
            errors: [{ reason: 'spawn', message: `cannot run ${command}` }],
          });
          return 'stop';
        }
        if (comeBackLater) {
          supervisor = undefined;
          const error = comeBackLater;
          // Already counted as it arrived.
          unavailable({ kind: 'unavailable', state: error.reason === 'no_devices' ? 'no_gpus' : 'failing', detail: `loop: ${error.message}`, errors: [] });
          return 'stop';
        }
        if (reprobeNow) {
          supervisor = undefined;
          logger.info('GPU set or driver changed: probing nvidia-smi again');
          scheduleProbe(0);
          return 'stop';
        }
        return 'restart';
      },
    });
    supervisor = current;
    gpuCount = gpus;
    setState('running');
    current.start();
  };

  return {
    async start() {
      stopped = false;
      probes = new AbortController();
      await probe();
    },
    async stop() {
      stopped = true;
      clearTimeout(probeTimer);
      probes.abort();
      await probing;
      await supervisor?.stop();
      supervisor = undefined;
      setState('stopped');
    },
    takeBatches() {
      const taken = queue;
      queue = [];
      return taken;
    },
    latest: () => latest,
    status: () => ({ state, detail, gpuCount: state === 'running' ? gpuCount : 0, selection, lastExit, counts }),
  };
}
