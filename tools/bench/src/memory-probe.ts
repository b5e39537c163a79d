// Where the exporters' memory stands against a bare Node HTTP server, and what capping V8's young generation
// (`NODE_OPTIONS=--max-semi-space-size=1`, which the single binaries honour too) changes, measured from outside:
// VmRSS after an idle settle, then VmHWM (peak) after wrk against each process in turn, with its answers per second
// (a cap that cost throughput would show there). Every process runs side by side in the same window, so load on a
// shared machine hits all alike.
// --pin runs it as the full bench does: every thread of each measured process on CPU 0 (taskset -a -p -c 0), wrk on CPU 1.
// --extra NAME=FILE measures another CPU exporter build (e.g. a previous dist/main.js) too, with the young generation capped.
// Run: node dist/memory-probe.js [--settle-s 10] [--wrk-s 10] [--connections 50] [--pin] [--extra NAME=FILE ...]   (a Markdown table, then one JSON line)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { materializePowercapTree } from '@proj/fixtures';
import { buildPaths, sleep, startExporter, which } from '@proj/stack';
import { killGroup, spawnGroup } from '@proj/subprocess';
import { readMemory } from './proc.js';
import { hasWrk, runWrk } from './wrk.js';

const floorEntry = fileURLToPath(new URL('./floor-server.js', import.meta.url));
const CAP = '--max-semi-space-size=1';

/** One process's figures, bytes and answers per second. */
export interface MemoryProbeRow {
  readonly name: string;
  readonly idleRssBytes: number;
  /** Idle RssAnon (private) and RssFile (mapped files: mostly Node's own code, shared), when the kernel gives them. */
  readonly idleRssAnonBytes?: number;
  readonly idleRssFileBytes?: number;
  readonly peakRssBytes: number;
  readonly okPerSecond: number;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { 'settle-s': { type: 'string', default: '10' }, 'wrk-s': { type: 'string', default: '10' }, connections: { type: 'string', default: '50' }, pin: { type: 'boolean', default: false }, extra: { type: 'string', multiple: true } },
  });
  if (!hasWrk()) throw new Error('wrk is not installed (tools/setup.sh installs it)');
  if (values.pin && which('taskset') === undefined) throw new Error('--pin needs taskset (util-linux)');
  const settleSeconds = Number(values['settle-s']);
  const wrkSeconds = Number(values['wrk-s']);
  const connections = Number(values.connections);
  const work = mkdtempSync(join(tmpdir(), 'memory-probe-'));
  const tree = materializePowercapTree('xeon-2socket-dram');
  const gpuArgs = ['--nvidia-smi', buildPaths.fakeNvidiaSmi, '--interval', '1s'];
  const plan: { name: string; entry: string; args: string[]; env: Record<string, string>; path: string }[] = [
    { name: 'bare Node HTTP server', entry: floorEntry, args: [], env: {}, path: '/' },
    { name: 'cpu_exporter', entry: buildPaths.cpuExporter, args: ['--sysfs-root', tree.root], env: {}, path: '/metrics' },
    { name: `cpu_exporter, ${CAP}`, entry: buildPaths.cpuExporter, args: ['--sysfs-root', tree.root], env: { NODE_OPTIONS: CAP }, path: '/metrics' },
    { name: 'gpu_exporter', entry: buildPaths.gpuExporter, args: gpuArgs, env: { FAKE_NVIDIA_SMI_CAPTURE: 'h100' }, path: '/metrics' },
    { name: `gpu_exporter, ${CAP}`, entry: buildPaths.gpuExporter, args: gpuArgs, env: { FAKE_NVIDIA_SMI_CAPTURE: 'h100', NODE_OPTIONS: CAP }, path: '/metrics' },
    ...(values.extra ?? []).map((spec) => {
      const [name, entry] = spec.split('=', 2);
      if (!name || !entry) throw new Error(`--extra wants NAME=FILE, got ${spec}`);
      return { name: `${name}, ${CAP}`, entry, args: ['--sysfs-root', tree.root], env: { NODE_OPTIONS: CAP }, path: '/metrics' };
    }),
  ];
  const running: { stop(): Promise<void> }[] = [];
  // Node and nothing else, for the figure people quote as "bare Node".
  const bare = spawnGroup(process.execPath, ['-e', 'setInterval(() => {}, 1000)']);
  running.push({ stop: async () => void killGroup(bare.pid!, 'SIGKILL') });
  try {
    const started = await Promise.all(
      plan.map(async (p, i) => {
        const exporter = await startExporter({ name: `memory-${i}`, entry: p.entry, args: p.args, env: p.env, logFile: join(work, `${i}.log`) });
        running.push(exporter);
        if (values.pin) execFileSync('taskset', ['-a', '-p', '-c', '0', String(exporter.service.pid)], { stdio: 'ignore' });
        return { ...p, url: exporter.url, pid: exporter.service.pid };
      }),
    );
    await sleep(settleSeconds * 1000);
    const idle = started.map((p) => readMemory(p.pid));
    const bareMemory = readMemory(bare.pid!);
    const bareRssBytes = bareMemory.rssBytes;
    const rows: MemoryProbeRow[] = [];
    for (const [i, p] of started.entries()) {
      const wrk = await runWrk({ url: `${p.url}${p.path}`, connections, durationSeconds: wrkSeconds, ...(values.pin ? { cpus: '1' } : {}) });
      rows.push({
        name: p.name,
        idleRssBytes: idle[i]!.rssBytes,
        ...(idle[i]!.rssAnonBytes === undefined ? {} : { idleRssAnonBytes: idle[i]!.rssAnonBytes }),
        ...(idle[i]!.rssFileBytes === undefined ? {} : { idleRssFileBytes: idle[i]!.rssFileBytes }),
        peakRssBytes: readMemory(p.pid).hwmBytes,
        okPerSecond: wrk.okPerSecond,
      });
    }
    const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
    const floor = rows[0]!;
    const over = (bytes: number, base: number) => `${bytes >= base ? '+' : ''}${mb(bytes - base)} MB`;
    const overOrBlank = (bytes: number | undefined, base: number | undefined) => (bytes === undefined || base === undefined ? '' : over(bytes, base));
    const lines = [
      `| process | idle RSS | over the bare HTTP server | over bare Node | of which private (RssAnon) | of which mapped files (RssFile) | peak RSS (VmHWM) after wrk -c${connections} ${wrkSeconds} s${values.pin ? ", pinned" : ""} | answers/s |`,
      '| --- | --- | --- | --- | --- | --- | --- | --- |',
      `| bare Node (setInterval, no server) | ${mb(bareRssBytes)} MB | | | | | | |`,
      ...rows.map(
        (r) =>
          `| ${r.name} | ${mb(r.idleRssBytes)} MB | ${r === floor ? '' : over(r.idleRssBytes, floor.idleRssBytes)} | ${over(r.idleRssBytes, bareRssBytes)} | ` +
          `${overOrBlank(r.idleRssAnonBytes, bareMemory.rssAnonBytes)} | ${overOrBlank(r.idleRssFileBytes, bareMemory.rssFileBytes)} | ${mb(r.peakRssBytes)} MB | ${r.okPerSecond.toFixed(0)} |`,
      ),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    process.stdout.write(`${JSON.stringify({ settleSeconds, wrkSeconds, connections, pinned: values.pin, loadAverage1m: loadavg()[0], bareRssBytes, bareMemory, rows })}\n`);
  } finally {
    await Promise.all(running.map((r) => r.stop()));
    tree.remove();
    rmSync(work, { recursive: true, force: true });
  }
}

void main().catch((error: unknown) => {
  process.stderr.write(`memory-probe: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
