// What a tick costs when nobody scrapes, to the nanosecond and by thread: the built CPU exporter (the lab's moving
// fixture tree, this host's /proc), the same with attribution limited to /proc/stat, the bare Node floor (wakes each
// second, nothing else) and bare Node (`setInterval`), side by side in one window. CPU is each thread's time on a
// CPU from /proc/<pid>/task/<tid>/schedstat (nanoseconds, not 10 ms ticks): the main thread (JavaScript and its
// system calls) and the others: libuv's pool threads (the sysfs reads that issue 13 moved off the event loop) and
// V8's workers (GC, compilers), which Node 20 leaves all named `node`, so they are counted together. With --strace, `strace -c -f` then counts the CPU exporter's system calls for a while: futex
// (thread hand-offs) and epoll_pwait (event-loop wake-ups) per tick say how many hops a tick makes.
// Run: node dist/tick-probe.js --seconds 60 [--strace-seconds 20]   (a Markdown table, then one JSON line)
import { spawnSync } from 'node:child_process';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { materializePowercapTree } from '@proj/fixtures';
import { buildPaths, createEnergyWriter, sleep, startExporter, which } from '@proj/stack';
import { killGroup, spawnGroup } from '@proj/subprocess';
import { threadCpuNs, threadKind } from './proc.js';

const floorEntry = fileURLToPath(new URL('./floor-server.js', import.meta.url));

/** Parses `strace -c` output into calls per system call. Pure. */
export function parseStraceSummary(text: string): Map<string, number> {
  const calls = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(\w+)\s*$/.exec(line);
    if (m && m[2] !== 'total') calls.set(m[2]!, Number(m[1]));
  }
  return calls;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { seconds: { type: 'string', default: '60' }, 'strace-seconds': { type: 'string', default: '0' } } });
  const seconds = Number(values.seconds);
  const straceSeconds = Number(values['strace-seconds']);
  const work = mkdtempSync(join(tmpdir(), 'tick-probe-'));
  const tree = materializePowercapTree('intel-laptop-psys-symlinks');
  const writer = createEnergyWriter({
    sysfsRoot: tree.root,
    zones: tree.tree.expect.zones.map((z) => ({ id: z.path, zone: z.zone, maxEnergyRangeUj: z.max_energy_range_uj })),
  });
  writer.start();
  const running: (() => Promise<void> | void)[] = [() => writer.stop(), () => tree.remove()];
  try {
    const cpuArgs = ['--sysfs-root', tree.root, '--interval', '1s'];
    const plan = [
      { name: 'cpu_exporter', entry: buildPaths.cpuExporter, args: cpuArgs },
      { name: 'cpu_exporter, attribution limited to /proc/stat', entry: buildPaths.cpuExporter, args: [...cpuArgs, '--attribute-processes', '', '--attribute-containers', 'false'] },
      { name: 'bare Node floor (wakes each second)', entry: floorEntry, args: ['--tick-ms', '1000'] },
    ];
    const processes = await Promise.all(
      plan.map(async (p, i) => {
        const exporter = await startExporter({ name: `tick-${i}`, entry: p.entry, args: p.args, nodeArgs: ['--max-semi-space-size=1'], logFile: join(work, `${i}.log`) });
        running.push(() => exporter.stop());
        return { name: p.name, pid: exporter.service.pid };
      }),
    );
    const bare = spawnGroup(process.execPath, ['-e', 'setInterval(() => {}, 1000)']);
    running.push(() => void killGroup(bare.pid!, 'SIGKILL'));
    processes.push({ name: 'bare Node (setInterval 1 s)', pid: bare.pid! });
    await sleep(10_000); // past start-up and the first rediscovery
    const before = processes.map((p) => threadCpuNs(p.pid));
    await sleep(seconds * 1000);
    const after = processes.map((p) => threadCpuNs(p.pid));
    const rows = processes.map((p, i) => {
      const sums = { main: 0, other: 0 };
      for (const [tid, { ns }] of after[i]!) sums[threadKind(p.pid, tid)] += ns - (before[i]!.get(tid)?.ns ?? 0);
      const perTickMs = (ns: number) => ns / 1e6 / seconds;
      return { name: p.name, mainMs: perTickMs(sums.main), otherMs: perTickMs(sums.other), totalMs: perTickMs(sums.main + sums.other) };
    });
    let syscallsPerTick: Record<string, number> | null = null;
    if (straceSeconds > 0 && which('strace') !== undefined) {
      const traced = spawnSync('timeout', ['-s', 'INT', String(straceSeconds), 'strace', '-c', '-f', '-p', String(processes[0]!.pid)], { encoding: 'utf8' });
      const calls = parseStraceSummary(`${traced.stdout}\n${traced.stderr}`);
      syscallsPerTick = Object.fromEntries([...calls].sort((a, b) => b[1] - a[1]).map(([name, n]) => [name, n / straceSeconds]));
    }
    const ms = (x: number) => x.toFixed(3);
    const lines = [
      `Idle, ${seconds} s (one tick a second, nobody scraping), CPU per tick from schedstat; load (1 min) ${loadavg()[0]!.toFixed(2)}`,
      '',
      '| process | main thread | other threads (libuv pool, V8 workers) | all |',
      '| --- | --- | --- | --- |',
      ...rows.map((r) => `| ${r.name} | ${ms(r.mainMs)} ms | ${ms(r.otherMs)} ms | ${ms(r.totalMs)} ms (${((r.totalMs / 1000) * 100).toFixed(3)} % of a core) |`),
    ];
    if (syscallsPerTick !== null) {
      lines.push('', `cpu_exporter's system calls per tick (strace -c -f, ${straceSeconds} s): ${Object.entries(syscallsPerTick).slice(0, 10).map(([name, n]) => `${name} ${n.toFixed(1)}`).join(', ')}`);
    }
    process.stdout.write(`${lines.join('\n')}\n`);
    process.stdout.write(`${JSON.stringify({ seconds, loadAverage1m: loadavg()[0], rows, syscallsPerTick })}\n`);
  } finally {
    for (const stop of running.reverse()) {
      try {
        await stop();
      } catch {
        // best effort
      }
    }
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  void main().catch((error: unknown) => {
    process.stderr.write(`tick-probe: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
