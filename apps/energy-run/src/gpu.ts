import { splitGpuEnergy, type ProcessUse } from '@proj/attribution';
import { createPmonStreamParser, createQueryStreamParser, numberOf, parseQueryCsv, textOf, type PmonRow } from '@proj/nvsmi-parser';
import { createSupervisor, runOnce, type Supervisor } from '@proj/subprocess';
import { performance } from 'node:perf_hooks';

/** One GPU's energy over the run and the command's share of it. */
export interface GpuEnergy {
  readonly gpuId: string;
  readonly gpuUuid: string;
  readonly joules: number;
  readonly attributedJoules: number;
  /** pmon intervals that split this GPU's energy. */
  readonly pmonSamples: number;
}

/** A GPU the probe found. */
export interface GpuIdentity {
  readonly gpuId: string;
  readonly gpuUuid: string;
}

/** One power reading of one GPU. */
export interface PowerReading extends GpuIdentity {
  readonly powerWatts: number;
}

/**
 * The GPU side of a run, without I/O: power readings are integrated over time (trapezoids) per GPU, and at each
 * pmon interval the energy gathered since the previous one is split by sm + enc + dec utilisation: the rows whose
 * pid belongs to the command's process tree are its share, the rest (other processes, or all of it when no process
 * was busy) stays unattributed. Energy after the last pmon interval is split by the last one seen.
 */
export interface GpuAccount {
  power(atMs: number, readings: readonly PowerReading[]): void;
  pmon(rows: readonly PmonRow[], isCommandPid: (pid: number) => boolean): void;
  /** Closes the run: the energy not yet split is split by each GPU's last pmon interval. */
  finish(): GpuEnergy[];
}

/** Creates a GpuAccount over the GPUs the probe found (index -> uuid). Pure. */
export function createGpuAccount(gpus: readonly GpuIdentity[]): GpuAccount {
  const states = new Map(
    gpus.map((gpu) => [
      gpu.gpuId,
      { ...gpu, last: undefined as { atMs: number; watts: number } | undefined, joules: 0, pendingJoules: 0, attributedJoules: 0, lastShare: 0, samples: 0 },
    ]),
  );
  const stateOf = (gpuId: string) => states.get(gpuId);
  return {
    power(atMs, readings) {
      for (const reading of readings) {
        const state = stateOf(reading.gpuId);
        if (!state || !Number.isFinite(reading.powerWatts) || reading.powerWatts < 0) continue;
        if (state.last !== undefined && atMs > state.last.atMs) {
          const joules = ((state.last.watts + reading.powerWatts) / 2) * ((atMs - state.last.atMs) / 1000);
          state.joules += joules;
          state.pendingJoules += joules;
        }
        state.last = { atMs, watts: reading.powerWatts };
      }
    },
    pmon(rows, isCommandPid) {
      const byGpu = new Map<string, ProcessUse[]>();
      for (const row of rows) {
        const gpuId = String(row.gpuIndex);
        const uses = byGpu.get(gpuId) ?? [];
        uses.push({ ...row, matched: row.pid !== undefined && isCommandPid(row.pid) });
        byGpu.set(gpuId, uses);
      }
      for (const [gpuId, uses] of byGpu) {
        const state = stateOf(gpuId);
        if (!state) continue;
        // The command's fraction of this interval, split the GPU exporter's way (the processes of its tree are matched).
        state.lastShare = splitGpuEnergy(1, uses).processJoules.reduce((sum, joules) => sum + joules, 0);
        state.attributedJoules += state.pendingJoules * state.lastShare;
        state.pendingJoules = 0;
        state.samples++;
      }
    },
    finish() {
      return [...states.values()].map((state) => {
        state.attributedJoules += state.pendingJoules * state.lastShare;
        state.pendingJoules = 0;
        return { gpuId: state.gpuId, gpuUuid: state.gpuUuid, joules: state.joules, attributedJoules: Math.min(state.joules, state.attributedJoules), pmonSamples: state.samples };
      });
    },
  };
}

const FIELDS = ['index', 'uuid', 'power.draw'];

/** The GPUs nvidia-smi lists with power, or why there are none (not installed, no driver, no GPU). */
export async function probeGpus(nvidiaSmi: string): Promise<{ gpus: GpuIdentity[] } | { reason: string }> {
  if (nvidiaSmi === 'off') return { reason: 'off (--nvidia-smi off)' };
  const result = await runOnce(nvidiaSmi, [`--query-gpu=${FIELDS.join(',')}`, '--format=csv,noheader,nounits'], { timeoutMs: 5000 });
  if (result.kind === 'spawn_failed') return { reason: `${nvidiaSmi} not found (${result.code})` };
  if (result.kind !== 'exited') return { reason: `${nvidiaSmi} did not answer in 5 s` };
  if (result.code !== 0) return { reason: `${nvidiaSmi} exited ${result.code ?? result.signal}: ${`${result.stdout}${result.stderr}`.trim().split('\n')[0] ?? ''}` };
  const { rows } = parseQueryCsv(result.stdout, { header: false, fields: FIELDS });
  const gpus = rows.flatMap((row) => {
    const gpuId = textOf(row.get('index'));
    const gpuUuid = textOf(row.get('uuid'));
    return gpuId === undefined || gpuUuid === undefined ? [] : [{ gpuId, gpuUuid }];
  });
  return gpus.length === 0 ? { reason: `${nvidiaSmi} listed no GPU` } : { gpus };
}

/** The two nvidia-smi children of a run: power in loop mode and pmon. */
export interface GpuWatch {
  /** Stops both children (pmon's interval in progress counts) and closes the account. */
  stop(): Promise<GpuEnergy[]>;
  /** pmon trouble worth a line in the report (not supported, restarts). */
  notes(): string[];
}

/** Options for watchGpus. */
export interface WatchGpusOptions {
  readonly nvidiaSmi: string;
  readonly gpus: readonly GpuIdentity[];
  readonly intervalMs: number;
  /** Whether a pid belongs to the command's process tree (at any time during the run). */
  readonly isCommandPid: (pid: number) => boolean;
  readonly now?: () => number;
}

/** Starts `--query-gpu=index,uuid,power.draw -lms N` and `pmon -s u -d 1`, each supervised (@proj/subprocess). */
export function watchGpus(options: WatchGpusOptions): GpuWatch {
  const now = options.now ?? (() => performance.now());
  const account = createGpuAccount(options.gpus);
  const notes = new Set<string>();
  const stallAfterMs = Math.max(5000, 5 * options.intervalMs);

  let query = createQueryStreamParser({ header: false, fields: FIELDS, gpuCount: options.gpus.length });
  const power: Supervisor = createSupervisor({
    command: options.nvidiaSmi,
    args: [`--query-gpu=${FIELDS.join(',')}`, '--format=csv,noheader,nounits', '-lms', String(Math.max(50, options.intervalMs))],
    stallAfterMs,
    startupGraceMs: 5000,
    onStart: () => {
      query = createQueryStreamParser({ header: false, fields: FIELDS, gpuCount: options.gpus.length });
    },
    onStdout: (chunk) => {
      const atMs = now();
      for (const event of query.push(chunk)) {
        if (event.type !== 'batch') continue;
        power.progress();
        const readings = event.rows.flatMap((row) => {
          const gpuId = textOf(row.get('index'));
          const gpuUuid = textOf(row.get('uuid'));
          const powerWatts = numberOf(row.get('power.draw'));
          return gpuId === undefined || gpuUuid === undefined || powerWatts === undefined ? [] : [{ gpuId, gpuUuid, powerWatts }];
        });
        account.power(atMs, readings);
      }
    },
    onExit: (exit) => {
      if (exit.reason !== 'stopped') notes.add(`nvidia-smi power loop ${exit.reason}${exit.code === null ? '' : ` (exit ${exit.code})`}, restarted`);
      return 'restart';
    },
  });

  let pmonParser = createPmonStreamParser();
  let flushTimer: NodeJS.Timeout | undefined;
  const takeSamples = (events: ReturnType<typeof pmonParser.push>): void => {
    for (const event of events) {
      if (event.type === 'error' && event.error.reason === 'not_supported') notes.add('pmon is not supported on this GPU: no per-process GPU share');
      if (event.type !== 'sample') continue;
      pmon.progress();
      account.pmon(event.sample.rows, options.isCommandPid);
    }
  };
  const pmon: Supervisor = createSupervisor({
    command: options.nvidiaSmi,
    args: ['pmon', '-s', 'u', '-d', '1'],
    stallAfterMs: 10_000,
    startupGraceMs: 10_000,
    onStart: () => {
      pmonParser = createPmonStreamParser();
    },
    onStdout: (chunk) => {
      takeSamples(pmonParser.push(chunk));
      // pmon writes an interval at once and then sleeps: a quiet moment means the interval is complete.
      clearTimeout(flushTimer);
      flushTimer = setTimeout(() => takeSamples(pmonParser.flush()), 100);
      flushTimer.unref();
    },
    onExit: (exit) => {
      if (exit.reason === 'stopped') return 'stop';
      const said = exit.stderrTail.trim().split('\n')[0];
      notes.add(`nvidia-smi pmon ${exit.reason}${exit.code === null ? '' : ` (exit ${exit.code})`}${said ? `: ${said}` : ''}`);
      // An unsupported pmon stays unsupported; a crash may not.
      return exit.madeProgress ? 'restart' : 'stop';
    },
  });
  power.start();
  pmon.start();
  return {
    async stop() {
      clearTimeout(flushTimer);
      takeSamples(pmonParser.flush());
      await Promise.all([power.stop(), pmon.stop()]);
      return account.finish();
    },
    notes: () => [...notes],
  };
}
