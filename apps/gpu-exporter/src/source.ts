import { performance } from 'node:perf_hooks';
import { silentLogger, type Logger } from '@proj/metrics-core';
import {
  createQueryStreamParser,
  NvsmiError,
  parseHelpQueryGpu,
  parseQueryCsv,
  type HelpQueryGpu,
  type NvsmiErrorReason,
  type QueryRow,
  type QueryStreamEvent,
  type QueryStreamParser,
} from '@proj/nvsmi-parser';
import { Counter, type Registry } from 'prom-client';
import { killGroup, runCommand, type CommandResult } from './command.js';
import { selectFields, type FieldSelection } from './fields.js';
import { createSupervisor, type ChildExit, type Supervisor } from './supervisor.js';

/** One complete answer from nvidia-smi: a row per GPU, and when it arrived (monotonic ms). */
export interface GpuBatch {
  readonly rows: readonly QueryRow[];
  readonly atMs: number;
  readonly seq: number;
}

/**
 * Where the source stands: `starting` (first probe), `missing` (nvidia-smi cannot be run), `failing` (it runs but
 * cannot answer: no driver, garbage, timeout), `no_gpus`, `running` (a loop child is supervised).
 */
export type SourceState = 'starting' | 'missing' | 'failing' | 'no_gpus' | 'running' | 'stopped';

/** The source's state, for health and metrics. */
export interface SourceStatus {
  readonly state: SourceState;
  /** Why, in words, when not running. */
  readonly detail: string | undefined;
  /** GPUs in the last complete answer; 0 without nvidia-smi or GPUs. */
  readonly gpuCount: number;
  readonly selection: FieldSelection | undefined;
  readonly lastExit: ChildExit | undefined;
}

/** Options for createNvidiaSmiSource. */
export interface NvidiaSmiSourceOptions {
  /** Path or name of nvidia-smi. */
  readonly command: string;
  /** The `-lms` interval. */
  readonly intervalMs: number;
  readonly registry: Registry;
  readonly logger?: Logger;
  /** Called with each complete batch as it arrives. */
  readonly onBatch?: (batch: GpuBatch) => void;
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
  readonly now?: () => number;
}

/** One supervised `nvidia-smi --query-gpu=... -lms N`, with the probes around it. */
export interface NvidiaSmiSource {
  /** Probes once (so the first sample has data), then starts the loop. */
  start(): Promise<void>;
  /** Kills the child's process group, cancels probes; resolves when everything has exited. */
  stop(): Promise<void>;
  /** The latest complete batch, or undefined. */
  latest(): GpuBatch | undefined;
  status(): SourceStatus;
}

// nvidia-smi's own failures that mean "ask again later", not "restart now".
const COME_BACK_LATER: ReadonlySet<NvsmiErrorReason> = new Set([
  'driver_unreachable',
  'nvml_library_not_found',
  'driver_version_mismatch',
  'nvml_init_failed',
  'no_devices',
]);
// Consecutive incomplete batches after which the GPU set is taken to have changed (a GPU lost or added).
const INCOMPLETE_BATCHES_BEFORE_REPROBE = 3;

/**
 * Creates the nvidia-smi source. It probes `--help-query-gpu` once to learn which fields the driver knows (one
 * unknown field fails a whole query), asks once for every GPU's row, then keeps one long-lived
 * `--query-gpu=<fields> --format=csv,noheader,nounits -lms <interval>` child under a supervisor. Missing,
 * failing or GPU-less nvidia-smi is probed again every `reprobeEveryMs`; a changed GPU set or driver is probed again
 * at once. Counts restarts, exits by code, stalls and read errors by reason under `gpu_exporter_`.
 */
export function createNvidiaSmiSource(options: NvidiaSmiSourceOptions): NvidiaSmiSource {
  const { command, intervalMs, registry } = options;
  const logger = options.logger ?? silentLogger;
  const now = options.now ?? (() => performance.now());
  const probeTimeoutMs = options.probeTimeoutMs ?? 10_000;
  const reprobeEveryMs = options.reprobeEveryMs ?? 30_000;
  const stallAfterMs = options.stallAfterMs ?? Math.max(3 * intervalMs, 5000);
  const startupGraceMs = options.startupGraceMs ?? Math.max(stallAfterMs, 15_000);
  const registers = [registry];

  const restarts = new Counter({ name: 'gpu_exporter_nvidia_smi_restarts_total', help: 'Times the nvidia-smi loop child was started again.', registers });
  const exits = new Counter({
    name: 'gpu_exporter_nvidia_smi_exits_total',
    help: 'nvidia-smi loop children that ended, by exit code (or signal, or spawn error).',
    labelNames: ['code'],
    registers,
  });
  const stalls = new Counter({
    name: 'gpu_exporter_nvidia_smi_stalls_total',
    help: 'nvidia-smi loop children killed (whole process group) because no complete batch came in time.',
    registers,
  });
  const readErrors = new Counter({
    name: 'gpu_exporter_read_errors_total',
    help: 'nvidia-smi output that was not data, by reason (column_count, incomplete_batch, gpu_lost, invalid_field, spawn, timeout, ...).',
    labelNames: ['reason'],
    registers,
  });
  restarts.inc(0);
  stalls.inc(0);
  for (const reason of ['column_count', 'incomplete_batch', 'gpu_lost', 'spawn', 'timeout']) readErrors.inc({ reason }, 0);

  let state: SourceState = 'starting';
  let detail: string | undefined;
  let selection: FieldSelection | undefined;
  let latest: GpuBatch | undefined;
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

  const publish = (rows: readonly QueryRow[]): void => {
    latest = { rows, atMs: now(), seq: ++seq };
    gpuCount = rows.length;
    options.onBatch?.(latest);
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

  const countError = (error: NvsmiError | { reason: string; message: string }): void => {
    readErrors.inc({ reason: error.reason });
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

  const failedRun = (result: Exclude<CommandResult, { kind: 'exited' }>, what: string): void => {
    if (result.kind === 'spawn_failed') {
      countError({ reason: 'spawn', message: result.message });
      setState('missing', `cannot run ${command} (${result.code}${result.code === 'ENOENT' ? ': not installed or not on PATH' : ''})`);
    } else {
      countError({ reason: 'timeout', message: `${what} timed out after ${probeTimeoutMs} ms` });
      setState('failing', `${command} ${what} did not answer within ${probeTimeoutMs} ms`);
    }
    scheduleProbe(reprobeEveryMs);
  };

  const failedAnswer = (error: unknown, what: string): void => {
    const why = error instanceof NvsmiError ? error.message : error instanceof Error ? error.message : String(error);
    if (error instanceof NvsmiError) countError(error);
    setState(error instanceof NvsmiError && error.reason === 'no_devices' ? 'no_gpus' : 'failing', `${what}: ${why}`);
    scheduleProbe(reprobeEveryMs);
  };

  const probeOnce = async (): Promise<void> => {
    const helpRun = await runCommand(command, ['--help-query-gpu'], probeTimeoutMs, probes.signal);
    if (stopped) return;
    if (helpRun.kind !== 'exited') return failedRun(helpRun, '--help-query-gpu');
    let help: HelpQueryGpu;
    try {
      help = parseHelpQueryGpu(helpRun.stdout + (helpRun.stdout.trim() === '' ? helpRun.stderr : ''));
    } catch (error) {
      return failedAnswer(error, '--help-query-gpu');
    }
    const chosen = selectFields(help);
    if (chosen.missingLabels.length > 0) {
      return failedAnswer(new Error(`this driver cannot report ${chosen.missingLabels.join(', ')}, needed to label GPUs`), '--help-query-gpu');
    }
    if (selection === undefined || selection.fields.join() !== chosen.fields.join()) {
      logger.info('nvidia-smi fields', { queried: chosen.fields.join(','), unsupported: chosen.unsupported.map((m) => m.field).join(',') || 'none' });
    }
    selection = chosen;
    const queryArgs = [`--query-gpu=${chosen.fields.join(',')}`, '--format=csv,noheader,nounits'];
    const queryRun = await runCommand(command, queryArgs, probeTimeoutMs, probes.signal);
    if (stopped) return;
    if (queryRun.kind !== 'exited') return failedRun(queryRun, '--query-gpu');
    let rows: readonly QueryRow[];
    try {
      const table = parseQueryCsv(queryRun.stdout + queryRun.stderr, { header: false, fields: chosen.fields, help });
      for (const error of table.errors) countError(error);
      rows = table.rows;
    } catch (error) {
      return failedAnswer(error, '--query-gpu');
    }
    if (rows.length === 0) return failedAnswer(new Error(`no GPU rows (exit code ${queryRun.code})`), '--query-gpu');
    publish(rows);
    startLoop(help, chosen, [...queryArgs, '-lms', String(intervalMs)], rows.length);
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
        if (starts++ > 0) restarts.inc();
        parser = createQueryStreamParser({ header: false, fields: chosen.fields, gpuCount: gpus, help });
      },
      onStdout: (chunk) => handle(parser.push(chunk)),
      onExit(exit) {
        handle(parser.end());
        lastExit = exit;
        exits.inc({ code: exit.spawnError ?? (exit.code === null ? `signal_${exit.signal ?? 'unknown'}` : String(exit.code)) });
        if (exit.reason === 'stalled') stalls.inc();
        logger.warn('nvidia-smi exited', {
          reason: exit.reason,
          code: exit.code,
          signal: exit.signal,
          stderr: exit.stderrTail.slice(-300) || undefined,
        });
        if (exit.reason === 'spawn_failed') {
          supervisor = undefined;
          failedRun({ kind: 'spawn_failed', code: exit.spawnError ?? 'UNKNOWN', message: `cannot run ${command}` }, 'loop');
          return 'stop';
        }
        if (comeBackLater) {
          supervisor = undefined;
          failedAnswer(comeBackLater, 'loop');
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
    setState('running');
    gpuCount = gpus;
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
    latest: () => latest,
    status: () => ({ state, detail, gpuCount: state === 'running' ? gpuCount : 0, selection, lastExit }),
  };
}

