// Where the CPU exporter's tick goes, as evidence for issue 12's CPU targets: the built exporter runs over a fixture
// tree whose counters move (the lab workload's energy writer), on this host's /proc (attribution scans it), scraped
// once a second over a kept-alive connection with gzip, under V8's sampling profiler (node --cpu-prof, written when it exits on SIGTERM).
// The profile's self time is then summed per function and reported per tick, beside GC and Node's own overhead.
// --idle leaves out the scrapes: what a tick costs when nobody asks (issue 12's idle CPU target).
// Run: node dist/profile-probe.js --duration-s 60 [--top 15] [--idle] [--keep DIR]   (a Markdown table, then one JSON line)
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { Agent } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { materializePowercapTree } from '@proj/fixtures';
import { buildPaths, createEnergyWriter, sleep, startExporter } from '@proj/stack';
import { summarizeCpuProfile, type CpuProfile } from './cpu-profile.js';
import { timedGet } from './http.js';

/** Start-up and the first optimisations, left out of the figures. */
const SETTLE_MS = 5000;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { 'duration-s': { type: 'string', default: '60' }, top: { type: 'string', default: '15' }, idle: { type: 'boolean', default: false }, keep: { type: 'string' } } });
  const durationSeconds = Number(values['duration-s']);
  const top = Number(values.top);
  const work = values.keep ?? mkdtempSync(join(tmpdir(), 'profile-probe-'));
  const tree = materializePowercapTree('xeon-2socket-dram');
  const writer = createEnergyWriter({
    sysfsRoot: tree.root,
    zones: tree.tree.expect.zones.map((z) => ({ id: z.path, zone: z.zone, maxEnergyRangeUj: z.max_energy_range_uj })),
  });
  writer.start();
  try {
    const exporter = await startExporter({
      name: 'profiled-cpu-exporter',
      entry: buildPaths.cpuExporter,
      args: ['--sysfs-root', tree.root, '--interval', '1s'],
      nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${work}`, '--cpu-prof-interval=200'],
      logFile: join(work, 'exporter.log'),
    });
    // One kept-alive connection, as VictoriaMetrics and Prometheus scrape.
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    await sleep(SETTLE_MS); // past start-up: the first rediscovery, the JIT's first optimisations
    const from = Date.now();
    while (Date.now() - from < durationSeconds * 1000) {
      if (!values.idle) await timedGet(`${exporter.url}/metrics`, { headers: { 'Accept-Encoding': 'gzip' }, agent });
      await sleep(1000);
    }
    agent.destroy();
    await exporter.stop(); // SIGTERM: the profile is written as the process exits
    const file = readdirSync(work).find((name) => name.endsWith('.cpuprofile'));
    if (file === undefined) throw new Error(`no .cpuprofile in ${work}: did the exporter exit cleanly?`);
    const profile = JSON.parse(readFileSync(join(work, file), 'utf8')) as CpuProfile;
    // Start-up left out: the samples of the settle window before the first scrape.
    const { totalMs, idleMs, functions } = summarizeCpuProfile(profile, SETTLE_MS);
    const seconds = (profile.endTime - profile.startTime - SETTLE_MS * 1000) / 1e6;
    const ticks = Math.round(seconds); // one tick a second
    const busyMs = totalMs - idleMs;
    const perTick = (ms: number) => (ms / ticks).toFixed(3);
    const lines = [
      `Profiled ${seconds.toFixed(1)} s after ${SETTLE_MS / 1000} s of start-up (~${ticks} ticks at 1 s, ${values.idle ? 'no scrapes' : 'a scrape a second'}): ${perTick(busyMs)} ms of CPU per tick outside (idle).`,
      '',
      '| function (self time) | ms per tick | share of busy |',
      '| --- | --- | --- |',
      ...functions
        .filter((f) => f.name !== '(idle)')
        .slice(0, top)
        .map((f) => `| ${f.name.replace(/\|/g, '\\|')} | ${perTick(f.selfMs)} | ${((100 * f.selfMs) / busyMs).toFixed(1)} % |`),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    process.stdout.write(
      `${JSON.stringify({ seconds, ticks, idle: values.idle, busyMsPerTick: busyMs / ticks, loadAverage1m: loadavg()[0], top: functions.filter((f) => f.name !== '(idle)').slice(0, top) })}\n`,
    );
  } finally {
    writer.stop();
    tree.remove();
    if (values.keep === undefined) rmSync(work, { recursive: true, force: true });
  }
}

void main().catch((error: unknown) => {
  process.stderr.write(`profile-probe: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
