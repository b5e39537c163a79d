// Measures what `make binaries` produced: what each binary's size is made of, and how long each takes from
// spawn to its first served /metrics (200 with a body), against `node apps/<app>/dist/main.js` on the same
// inputs. Run: `make measure-binaries` or `node tools/release/dist/measure.js [--runs N] [--dir dist/bin]`.
import { existsSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { launchServer, runCommand } from '@proj/fixtures';
import { launcherFor } from './exec.js';
import type { BuiltBinary } from './sea.js';
import { smokeFor } from './smoke.js';
import { repoRoot } from './targets.js';

interface Timing {
  readonly label: string;
  readonly runs: number[];
}

/** Spawn to the first 200 from /metrics, in milliseconds, for one run of `command`. */
async function timeToFirstMetrics(command: string[], app: string, emulated: boolean): Promise<number> {
  const smoke = smokeFor(app).prepare();
  const startedAt = performance.now();
  const server = await launchServer([...command, '--host', '127.0.0.1', '--port', '0', ...smoke.args], {
    cwd: repoRoot,
    env: {},
    cleanEnv: true,
    timeoutMs: emulated ? 60_000 : 10_000,
  });
  try {
    const response = await fetch(`${server.url}/metrics`);
    await response.text();
    if (response.status !== 200) throw new Error(`${command.join(' ')}: /metrics answered ${response.status}`);
    return performance.now() - startedAt;
  } finally {
    await server.stop();
    smoke.cleanup();
  }
}

/** Spawn to exit for `--version`: the cost of starting the runtime and the script, without any sampling. */
async function timeVersion(command: string[]): Promise<number> {
  const started = performance.now();
  const result = await runCommand([...command, '--version'], { cwd: repoRoot, env: {}, cleanEnv: true });
  if (result.code !== 0) throw new Error(`${command.join(' ')} --version exited ${result.code}: ${result.stderr}`);
  return performance.now() - started;
}

async function measure(label: string, command: string[], app: string, runs: number, emulated: boolean): Promise<Timing[]> {
  await timeToFirstMetrics(command, app, emulated); // warm the page cache; not counted
  const metrics: number[] = [];
  const version: number[] = [];
  for (let i = 0; i < runs; i++) {
    metrics.push(await timeToFirstMetrics(command, app, emulated));
    version.push(await timeVersion(command));
  }
  return [
    { label: `${label}: first /metrics`, runs: metrics },
    { label: `${label}: --version`, runs: version },
  ];
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '10' }, dir: { type: 'string', default: join(repoRoot, 'dist', 'bin') } } });
  const runs = Number(values.runs);
  const dir = resolve(values.dir);
  const manifest = join(dir, 'binaries.json');
  if (!existsSync(manifest)) throw new Error(`${manifest} not found: run \`make binaries\` first`);
  const built = JSON.parse(readFileSync(manifest, 'utf8')) as BuiltBinary[];

  console.log(`sizes (${dir})`);
  console.log('binary\tbytes\tnode executable\tSEA blob (bundled script)\tELF overhead');
  for (const b of built) {
    console.log(`${b.file}\t${b.binaryBytes} (${mib(b.binaryBytes)})\t${b.nodeBytes} (${mib(b.nodeBytes)}, node ${b.nodeVersion})\t${b.blobBytes} (${kib(b.blobBytes)})\t${b.binaryBytes - b.nodeBytes - b.blobBytes}`);
  }

  const loadBefore = loadavg().map((l) => l.toFixed(2)).join(' ');
  const timings: Timing[] = [];
  for (const b of built) {
    const launcher = launcherFor(b.arch);
    if (!launcher.ok) {
      console.log(`\n${b.file}: not timed: ${launcher.reason}`);
      continue;
    }
    const emulated = launcher.prefix.length > 0;
    const n = emulated ? Math.max(1, Math.min(runs, 5)) : runs;
    timings.push(...(await measure(`${b.file}${emulated ? ' (qemu-aarch64-static)' : ''}`, [...launcher.prefix, join(dir, b.file)], b.app, n, emulated)));
  }
  for (const app of new Set(built.map((b) => b.app))) {
    const script = join(repoRoot, 'apps', app, 'dist', 'main.js');
    if (existsSync(script)) timings.push(...(await measure(`node apps/${app}/dist/main.js (for comparison)`, [process.execPath, script], app, runs, false)));
  }

  // Timings on a busy machine are not start-up times: say how busy it was, before and after.
  const load = loadavg().map((l) => l.toFixed(2)).join(' ');
  console.log(`\nstart-up (ms): spawn to first served /metrics, and spawn to exit of --version; ${process.arch} host, ${cpus().length} cores, ${process.version}`);
  console.log(`load average (1, 5, 15 min) before: ${loadBefore}, after: ${load}`);
  console.log('command\truns\tmin\tmedian\tp90\tmax');
  for (const t of timings) {
    const sorted = [...t.runs].sort((a, b) => a - b);
    console.log(`${t.label}\t${sorted.length}\t${ms(sorted[0]!)}\t${ms(quantile(sorted, 0.5))}\t${ms(quantile(sorted, 0.9))}\t${ms(sorted.at(-1)!)}`);
  }
}

function ms(value: number): string {
  return value.toFixed(0);
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

main().catch((error: unknown) => {
  console.error(`measure: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
