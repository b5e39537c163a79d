// Runs metrics-core's sampler alone at a given spinMs and earlyMs and reports each tick's lag (signed: negative is
// early) and the CPU it used, for the lag-versus-CPU trade-off of how an early timer wake-up is handled: sleep again,
// start the tick early, or wait out the rest in a busy loop.
// Run: node dist/spin-probe.js --spin-ms 0 --early-ms 0.5 --interval-ms 1000 --duration-s 60   (prints one JSON line)
// --wake-early-ms N arms each timer N ms before the deadline (a custom schedule), so the busy-wait covers the
// timer's usual lateness instead of only its rare early wake-ups: the cost of a sub-millisecond lag.
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { createRegistry, createSampler } from '@proj/metrics-core';

/** What one probe run reports. */
export interface SpinProbeResult {
  readonly spinMs: number;
  readonly earlyMs: number;
  readonly wakeEarlyMs: number;
  readonly lagsMs: number[];
  /** CPU used between the first and the last tick (process.cpuUsage), milliseconds. */
  readonly cpuMs: number;
  readonly seconds: number;
  /** Per tick, how long it busy-waited (0 when the timer woke at or after the deadline), milliseconds. */
  readonly spunMs?: number[];
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'wake-early-ms': { type: 'string', default: '0' },
      'spin-ms': { type: 'string', default: '0' },
      'early-ms': { type: 'string', default: '0.5' }, 'interval-ms': { type: 'string', default: '1000' }, 'duration-s': { type: 'string', default: '60' } },
  });
  const spinMs = Number(values['spin-ms']);
  const earlyMs = Number(values['early-ms']);
  const wakeEarlyMs = Number(values['wake-early-ms']);
  const intervalMs = Number(values['interval-ms']);
  const durationMs = Number(values['duration-s']) * 1000;
  const lagsMs: number[] = [];
  let cpuAtFirst: NodeJS.CpuUsage | undefined;
  let firstAt = 0;
  let lastAt = 0;
  let cpuAtLast: NodeJS.CpuUsage | undefined;
  // The timer's wake-ups, to tell how long each tick spun: from a wake-up before its deadline to the tick's start.
  let firedAtMs = 0;
  const spunMs: number[] = [];
  const sampler = createSampler({
    intervalMs,
    spinMs,
    earlyMs,
    schedule: (fn: () => void, delayMs: number) => {
      const fire = () => {
        firedAtMs = performance.now();
        fn();
      };
      if (delayMs <= wakeEarlyMs) {
        const immediate = setImmediate(fire);
        return () => clearImmediate(immediate);
      }
      const timer = setTimeout(fire, delayMs - wakeEarlyMs);
      return () => clearTimeout(timer);
    },
    registry: createRegistry(),
    prefix: 'spin_probe',
    sample: (tick) => {
      if (tick.index === 0) {
        cpuAtFirst = process.cpuUsage();
        firstAt = tick.startedAtMs;
        return;
      }
      lagsMs.push(tick.startedAtMs - tick.scheduledAtMs);
      spunMs.push(firedAtMs < tick.scheduledAtMs ? tick.startedAtMs - firedAtMs : 0);
      cpuAtLast = process.cpuUsage();
      lastAt = tick.startedAtMs;
    },
  });
  await sampler.start();
  await new Promise((resolve) => setTimeout(resolve, durationMs + intervalMs / 2));
  await sampler.stop();
  const used = cpuAtFirst && cpuAtLast ? cpuAtLast.user + cpuAtLast.system - cpuAtFirst.user - cpuAtFirst.system : 0;
  const result: SpinProbeResult = { spinMs, earlyMs, wakeEarlyMs, lagsMs, cpuMs: used / 1000, seconds: (lastAt - firstAt) / 1000, spunMs };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

void main();
