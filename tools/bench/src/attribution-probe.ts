// The attribution's tick cost: the built CPU exporter on a fixture powercap tree (a writer moves package_0) and the
// real /proc with N extra processes, M of them named ffmpeg (matched: each gets series), measured from outside:
// the exporter's CPU (utime + stime) over a window divided by the ticks in it. Two runs, same processes:
//   base         --attribute-processes '' --attribute-containers false  (RAPL and the other sources; /proc/stat only)
//   attribution  the defaults: every process's stat read each tick (held open), containers, M matched processes
// The difference is what attribution costs per tick.
// Run: node dist/attribution-probe.js --processes 300 --matched 10 --seconds 20 --interval-ms 100   (prints a table and one JSON line)
import { launchNodeServer, materializePowercapTree, parseSamples } from '@proj/fixtures';
import { killGroup, spawnGroup } from '@proj/subprocess';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
// The stack's writer by its file: this probe needs nothing else of @proj/stack (its bundle carries YAML and the rest).
import { createEnergyWriter } from '../../stack/src/energy-writer.js';

/** The built CPU exporter, from tools/bench/dist or tools/bench/src. */
const CPU_EXPORTER = fileURLToPath(new URL('../../../apps/cpu-exporter/dist/main.js', import.meta.url));

/** One configuration's figures. */
export interface AttributionProbeRun {
  readonly name: string;
  readonly args: readonly string[];
  readonly ticks: number;
  readonly cpuMs: number;
  /** cpuMs / ticks. */
  readonly cpuMsPerTick: number;
  /** energy_process_cpu_joules_total series at the end (all zones). */
  readonly processSeries: number;
  /** cpu_exporter_sample_duration_seconds at the end, ms (one tick's wall time). */
  readonly lastSampleMs: number;
}

const USER_HZ = 100;

function cpuMsOf(pid: number): number {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / USER_HZ;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function measure(name: string, args: readonly string[], sysfsRoot: string, seconds: number, intervalMs: number): Promise<AttributionProbeRun> {
  const server = await launchNodeServer(CPU_EXPORTER, ['--port', '0', '--host', '127.0.0.1', '--sysfs-root', sysfsRoot, '--interval', `${intervalMs}ms`, ...args]);
  try {
    const ticksNow = async () => parseSamples(await (await fetch(`${server.url}/metrics`)).text());
    const pid = server.child.pid!;
    await sleep(2000); // start-up and the first scans (cgroup files read once per process life) stay out of the window
    const value = (samples: ReturnType<typeof parseSamples>, metric: string) => samples.find((s) => s.name === metric)?.value ?? Number.NaN;
    const before = await ticksNow();
    const cpuBefore = cpuMsOf(pid);
    await sleep(seconds * 1000);
    const cpuAfter = cpuMsOf(pid);
    const after = await ticksNow();
    const ticks = value(after, 'cpu_exporter_sampler_ticks_total') - value(before, 'cpu_exporter_sampler_ticks_total');
    const cpuMs = cpuAfter - cpuBefore;
    return {
      name,
      args,
      ticks,
      cpuMs,
      cpuMsPerTick: cpuMs / ticks,
      processSeries: after.filter((s) => s.name === 'energy_process_cpu_joules_total').length,
      lastSampleMs: value(after, 'cpu_exporter_sample_duration_seconds') * 1000,
    };
  } finally {
    await server.stop('SIGTERM');
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { processes: { type: 'string', default: '300' }, matched: { type: 'string', default: '10' }, seconds: { type: 'string', default: '20' }, 'interval-ms': { type: 'string', default: '100' } },
  });
  const count = Number(values.processes);
  const matched = Math.min(count, Number(values.matched));
  const seconds = Number(values.seconds);
  const intervalMs = Number(values['interval-ms']);
  if (!existsSync(CPU_EXPORTER)) throw new Error(`${CPU_EXPORTER} is missing: pnpm nx run cpu-exporter:build`);

  const dir = mkdtempSync(join(tmpdir(), 'attribution-probe-'));
  // Scripts that wait on their stdin: processes that exist and use no CPU of their own; `ffmpeg` is matched, `worker` not.
  const scriptNamed = (name: string) => {
    const file = join(dir, name);
    writeFileSync(file, '#!/bin/sh\nread x\n');
    chmodSync(file, 0o755);
    return file;
  };
  const [ffmpeg, worker] = [scriptNamed('ffmpeg'), scriptNamed('worker')];
  const tree = materializePowercapTree('amd-epyc-7401p');
  const writer = createEnergyWriter({ sysfsRoot: tree.root, zones: [{ id: 'intel-rapl:0', zone: 'package_0', maxEnergyRangeUj: 65532610987 }], powerWatts: () => 20 });
  writer.start();
  const children = Array.from({ length: count }, (_, i) => spawnGroup(i < matched ? ffmpeg : worker, [], { stdin: 'pipe' }));
  try {
    const runs = [
      await measure('base', ['--attribute-processes', '', '--attribute-containers', 'false'], tree.root, seconds, intervalMs),
      await measure('attribution', [], tree.root, seconds, intervalMs),
    ];
    const rows = runs.map((r) => `${r.name.padEnd(12)} ${r.ticks.toString().padStart(6)} ticks  ${r.cpuMsPerTick.toFixed(3).padStart(7)} ms CPU/tick  last sample ${r.lastSampleMs.toFixed(2)} ms  ${r.processSeries} process series`);
    const extra = runs[1]!.cpuMsPerTick - runs[0]!.cpuMsPerTick;
    process.stdout.write(`${count} extra processes (${matched} named ffmpeg, matched), ${intervalMs} ms interval, ${seconds} s windows\n${rows.join('\n')}\nattribution: ${extra.toFixed(3)} ms CPU per tick (target < 2 ms)\n`);
    process.stdout.write(`${JSON.stringify({ processes: count, matched, intervalMs, seconds, runs, attributionCpuMsPerTick: extra })}\n`);
  } finally {
    writer.stop();
    for (const child of children) killGroup(child.pid!, 'SIGKILL');
    tree.remove();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`attribution-probe: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
