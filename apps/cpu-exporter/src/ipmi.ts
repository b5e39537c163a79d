import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { performance } from 'node:perf_hooks';
import { silentLogger, type Collector, type HealthReport, type Logger } from '@proj/metrics-core/metrics';
import { IpmiError, parseDcmiPowerReading, parseIpmiError } from '@proj/ipmi-parser';
import { findExecutable, runOnce, type RunResult } from '@proj/subprocess';
import { Counter, Gauge, type Registry } from 'prom-client';

/** Which program reads DCMI power: ipmitool (`dcmi power reading`) or FreeIPMI's ipmi-dcmi. */
export type IpmiTool = 'ipmitool' | 'ipmi-dcmi';

/** The `--ipmi` setting. */
export type IpmiMode = 'off' | 'on' | 'auto';

/** What `--ipmi` and `--ipmitool` come to on this host. */
export type IpmiDecision = { readonly enabled: true; readonly command: string; readonly tool: IpmiTool; readonly why: string } | { readonly enabled: false; readonly why: string };

/** Options for resolveIpmi. */
export interface ResolveIpmiOptions {
  readonly mode: IpmiMode;
  /** `--ipmitool`: a path or a name on PATH; a program named `ipmi-dcmi` is run as FreeIPMI. */
  readonly command: string;
  readonly pathEnv?: string | undefined;
  /** The in-band device `auto` looks for. */
  readonly devicePath?: string;
}

/** The tool a command is, by its file name. */
export function ipmiToolOf(command: string): IpmiTool {
  return basename(command) === 'ipmi-dcmi' ? 'ipmi-dcmi' : 'ipmitool';
}

/**
 * Decides whether to read IPMI: `on` always (a missing program is then a failure, counted and shown), `auto` when
 * `/dev/ipmi0` exists and `--ipmitool` or, failing it, `ipmi-dcmi` is on PATH, `off` never.
 */
export function resolveIpmi(options: ResolveIpmiOptions): IpmiDecision {
  const { mode, command } = options;
  if (mode === 'off') return { enabled: false, why: '--ipmi off' };
  if (mode === 'on') return { enabled: true, command, tool: ipmiToolOf(command), why: '--ipmi on' };
  const device = options.devicePath ?? '/dev/ipmi0';
  if (!existsSync(device)) return { enabled: false, why: `--ipmi auto: no ${device}` };
  for (const candidate of [command, 'ipmi-dcmi']) {
    const found = findExecutable(candidate, options.pathEnv);
    if (found !== undefined) return { enabled: true, command: found, tool: ipmiToolOf(found), why: `--ipmi auto: ${device} and ${found}` };
  }
  return { enabled: false, why: `--ipmi auto: ${device} exists but neither ${command} nor ipmi-dcmi is on PATH` };
}

/** The arguments that ask a tool for the DCMI power reading. */
export function ipmiArgsOf(tool: IpmiTool): string[] {
  return tool === 'ipmitool' ? ['dcmi', 'power', 'reading'] : ['--get-system-power-statistics'];
}

/** How one read ended: a reading in watts, or why there is none. */
export type IpmiOutcome = { readonly kind: 'reading'; readonly powerWatts: number } | { readonly kind: 'none'; readonly reason: string; readonly detail: string };

/**
 * Turns one run of the tool into a reading or a reason. Pure. A deactivated reading (the zeros an unconfigured BMC
 * prints) is `deactivated`, not 0 W; a run that did not exit 0 is a failure even when half a reading came out.
 */
export function ipmiOutcomeOf(result: RunResult): IpmiOutcome {
  if (result.kind === 'spawn_failed') return { kind: 'none', reason: result.code === 'ENOENT' ? 'not_installed' : 'spawn_failed', detail: result.message };
  if (result.kind !== 'exited') {
    return result.kind === 'timed_out' ? { kind: 'none', reason: 'timeout', detail: 'no answer in time: its process group was killed' } : { kind: 'none', reason: 'aborted', detail: 'stopped' };
  }
  const text = `${result.stdout}${result.stderr}`;
  if (result.code !== 0) {
    const known = parseIpmiError(text);
    const how = result.signal === null ? `exit ${result.code}` : `killed by ${result.signal}`;
    return { kind: 'none', reason: known?.reason ?? 'exit_status', detail: `${how}${known?.text ? `: ${known.text}` : ''}` };
  }
  try {
    const reading = parseDcmiPowerReading(text);
    if (reading.state === 'deactivated' || reading.powerWatts === undefined) return { kind: 'none', reason: 'deactivated', detail: 'the BMC reports power measurement deactivated or not available' };
    return { kind: 'reading', powerWatts: reading.powerWatts };
  } catch (error) {
    if (!(error instanceof IpmiError)) throw error;
    return { kind: 'none', reason: error.reason, detail: error.text ?? error.message };
  }
}

/** Options for createIpmiCollector. */
export interface IpmiCollectorOptions {
  readonly registry: Registry;
  /** The program to run (path or name on PATH). */
  readonly command: string;
  readonly tool?: IpmiTool;
  /** Time between reads; the BMC is slow, a few seconds. */
  readonly intervalMs: number;
  /** A read that takes longer is killed, its whole process group. */
  readonly timeoutMs: number;
  /** The longest wait between retries after failures (doubling from intervalMs). */
  readonly backoffMaxMs?: number;
  readonly env?: NodeJS.ProcessEnv;
  readonly now?: () => number;
  readonly logger?: Logger;
}

/** The BMC's DCMI power, read on its own cadence; sample() only publishes the newest reading, never waits for one. */
export interface IpmiCollector extends Collector {
  /** True when the newest reading is fresh. */
  live(): boolean;
}

const ERROR_REASONS = [
  'not_installed',
  'spawn_failed',
  'timeout',
  'exit_status',
  'deactivated',
  'unsupported',
  'command_failed',
  'no_device',
  'permission_denied',
  'session_failed',
  'interface_error',
  'incomplete',
  'unrecognised_output',
] as const;

/**
 * Creates the IPMI DCMI collector. `start()` begins a loop of one-shot reads through @proj/subprocess runOnce (own
 * process group, killed whole at the timeout, output capped), backing off when reads fail. Each sample publishes
 * `ipmi_dcmi_power_watts` from the newest fresh reading (absent, never 0, after a failure or when deactivated) and
 * adds to `ipmi_dcmi_energy_joules_total` the energy integrated (trapezoids) between consecutive readings.
 */
export function createIpmiCollector(options: IpmiCollectorOptions): IpmiCollector {
  const { registry, command, intervalMs, timeoutMs } = options;
  const tool = options.tool ?? ipmiToolOf(command);
  const args = ipmiArgsOf(tool);
  const now = options.now ?? (() => performance.now());
  const logger = options.logger ?? silentLogger;
  const backoffMaxMs = Math.max(intervalMs, options.backoffMaxMs ?? 60_000);
  // A reading older than this is no longer "now": three missed reads, or one that hung until killed.
  const freshForMs = Math.max(3 * intervalMs, intervalMs + timeoutMs);
  // Energy is integrated only between readings this close: across a longer gap the power in between is unknown.
  const maxGapMs = freshForMs;
  const registers = [registry];

  const power = new Gauge({
    name: 'ipmi_dcmi_power_watts',
    help: "The machine's power at the wall as the BMC reports it (DCMI instantaneous power reading, through its power supplies); absent when the BMC has no reading.",
    registers,
  });
  power.remove();
  // Registered with the first reading, so a host whose BMC never answers has no energy series at all.
  const energy = new Counter({
    name: 'ipmi_dcmi_energy_joules_total',
    help: 'Energy at the wall since the exporter started, integrated by the exporter from successive DCMI power readings (trapezoids; not a meter of the BMC; gaps without readings are left out).',
    registers: [],
  });
  let energyRegistered = false;
  const reads = new Counter({ name: 'cpu_exporter_ipmi_reads_total', help: 'DCMI power reads that gave a reading.', registers });
  const errors = new Counter({
    name: 'cpu_exporter_ipmi_errors_total',
    help: 'DCMI power reads that gave no reading, by reason (timeout: killed; deactivated: the BMC measures nothing; not_installed: no such program).',
    labelNames: ['reason'],
    registers,
  });
  for (const reason of ERROR_REASONS) errors.inc({ reason }, 0);

  let latest: { powerWatts: number; atMs: number } | undefined;
  let pendingJoules = 0;
  let lastProblem: { reason: string; detail: string } | undefined;
  let failures = 0;
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> | undefined;
  let controller: AbortController | undefined;
  let closed = false;

  const fresh = (): boolean => latest !== undefined && now() - latest.atMs <= freshForMs;

  const readOnce = async (): Promise<void> => {
    controller = new AbortController();
    const result = await runOnce(command, args, {
      timeoutMs,
      signal: controller.signal,
      maxOutputBytes: 64 * 1024,
      ...(options.env === undefined ? {} : { env: options.env }),
    });
    const atMs = now();
    const outcome = ipmiOutcomeOf(result);
    if (outcome.kind === 'reading') {
      reads.inc();
      if (latest !== undefined && atMs - latest.atMs <= maxGapMs) pendingJoules += ((latest.powerWatts + outcome.powerWatts) / 2) * ((atMs - latest.atMs) / 1000);
      latest = { powerWatts: outcome.powerWatts, atMs };
      if (lastProblem) logger.info('IPMI DCMI power readable again', { watts: outcome.powerWatts });
      lastProblem = undefined;
      failures = 0;
      return;
    }
    if (outcome.reason === 'aborted') return;
    errors.inc({ reason: outcome.reason });
    latest = undefined;
    failures++;
    if (lastProblem?.reason !== outcome.reason) logger.warn('IPMI DCMI power unreadable', { reason: outcome.reason, detail: outcome.detail, command });
    lastProblem = outcome;
  };

  const schedule = (delayMs: number): void => {
    if (closed) return;
    timer = setTimeout(() => {
      timer = undefined;
      inFlight = readOnce().finally(() => {
        inFlight = undefined;
        controller = undefined;
        schedule(failures === 0 ? intervalMs : Math.min(backoffMaxMs, intervalMs * 2 ** failures));
      });
    }, delayMs);
    timer.unref();
  };

  return {
    start() {
      logger.info('reading IPMI DCMI power', { command, args: args.join(' '), every_s: intervalMs / 1000, timeout_s: timeoutMs / 1000 });
      schedule(0);
    },

    sample() {
      if (pendingJoules > 0 || (latest !== undefined && !energyRegistered)) {
        if (!energyRegistered) {
          registry.registerMetric(energy);
          energyRegistered = true;
        }
        energy.inc(pendingJoules);
        pendingJoules = 0;
      }
      if (fresh()) power.set(latest!.powerWatts);
      else power.remove();
    },

    live: fresh,

    health() {
      const reasons: string[] = [];
      if (!fresh()) {
        reasons.push(
          lastProblem === undefined
            ? `IPMI DCMI: no reading yet from ${command}`
            : `IPMI DCMI: no reading from ${command} (${lastProblem.reason}: ${lastProblem.detail})${failures > 1 ? `; ${failures} failures in a row, retrying with backoff` : ''}`,
        );
      }
      return {
        status: reasons.length === 0 ? 'ok' : 'degraded',
        reasons,
        details: { ipmi: { command, tool, live: fresh(), ...(latest === undefined ? {} : { watts: latest.powerWatts }), ...(lastProblem === undefined ? {} : { problem: lastProblem.reason }) } },
      };
    },

    async close() {
      closed = true;
      clearTimeout(timer);
      controller?.abort();
      await inFlight;
    },
  };
}
