import { runOnce } from '@proj/subprocess';
import { which } from '@proj/stack';

/** What one wrk run measured. */
export interface WrkResult {
  readonly requests: number;
  readonly durationSeconds: number;
  readonly requestsPerSecond: number;
  /** Answers that were 2xx/3xx, per second: what counts as served. */
  readonly okPerSecond: number;
  /** Latency in milliseconds; percentiles from `--latency`. */
  readonly latencyMs: { readonly p50: number; readonly p99: number; readonly max: number; readonly mean: number };
  /** Non-2xx/3xx answers plus socket errors. */
  readonly errors: number;
  readonly non2xx: number;
  readonly command: string;
}

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `552.83us`, `1.20ms`, `2.00s` in milliseconds. Pure. */
export function parseWrkDuration(text: string): number {
  const match = /^([\d.]+)(us|ms|s|m|h)$/.exec(text.trim());
  if (!match) throw new Error(`not a wrk duration: ${JSON.stringify(text)}`);
  return Number(match[1]) * UNIT_MS[match[2]!]!;
}

/** Parses the report of `wrk --latency`. Pure. */
export function parseWrkOutput(text: string): Omit<WrkResult, 'command'> {
  const latency = /^\s*Latency\s+(\S+)\s+(\S+)\s+(\S+)/m.exec(text);
  const p50 = /^\s*50%\s+(\S+)$/m.exec(text);
  const p99 = /^\s*99%\s+(\S+)$/m.exec(text);
  const total = /^\s*(\d+) requests in ([\d.]+)(us|ms|s|m|h)/m.exec(text);
  const rps = /^Requests\/sec:\s+([\d.]+)/m.exec(text);
  if (!latency || !p50 || !p99 || !total || !rps) throw new Error(`cannot read wrk's report:\n${text}`);
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(text)?.[1] ?? 0);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  const socketErrors = socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0;
  return {
    requests: Number(total[1]),
    durationSeconds: parseWrkDuration(`${total[2]}${total[3]}`) / 1000,
    requestsPerSecond: Number(rps[1]),
    okPerSecond: (Number(total[1]) - non2xx) / (parseWrkDuration(`${total[2]}${total[3]}`) / 1000),
    latencyMs: { mean: parseWrkDuration(latency[1]!), max: parseWrkDuration(latency[3]!), p50: parseWrkDuration(p50[1]!), p99: parseWrkDuration(p99[1]!) },
    errors: non2xx + socketErrors,
    non2xx,
  };
}

/** Options for runWrk. */
export interface RunWrkOptions {
  readonly url: string;
  readonly connections: number;
  readonly durationSeconds: number;
  readonly threads?: number;
  /** Pin wrk to these CPUs (taskset -c), so it does not share a core with the server under test. */
  readonly cpus?: string;
}

/** True when wrk is installed. */
export function hasWrk(): boolean {
  return which('wrk') !== undefined;
}

/** Runs wrk to the end and parses its report. */
export async function runWrk(options: RunWrkOptions): Promise<WrkResult> {
  const wrkArgs = [`-t${options.threads ?? 1}`, `-c${options.connections}`, `-d${options.durationSeconds}s`, '--latency', options.url];
  const [command, args] = options.cpus !== undefined && which('taskset') ? ['taskset', ['-c', options.cpus, 'wrk', ...wrkArgs]] : ['wrk', wrkArgs];
  const result = await runOnce(command, args);
  if (result.kind === 'spawn_failed') throw new Error(`cannot run ${command}: ${result.message}`);
  const out = `${result.stdout}${result.stderr}`;
  if (result.kind !== 'exited' || result.code !== 0) throw new Error(`${command} ${args.join(' ')} ended (${result.kind === 'exited' ? `exit ${result.code}` : result.kind}):\n${out}`);
  return { ...parseWrkOutput(out), command: `${command} ${args.join(' ')}` };
}
