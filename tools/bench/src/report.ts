import { SHIPPED_NODE_ARGS, type BenchResults, type LagFigures, type StoreSeriesFigures } from './run.js';
import type { Summary } from './stats.js';
import { lineChartSvg } from './svg.js';

/** One promise of the seed, with what was measured against it. */
export interface TargetRow {
  readonly target: string;
  readonly measured: string;
  readonly met: boolean;
  /** How far off, in the target's own terms, when missed. */
  readonly verdict: string;
}

const MB = 1024 * 1024;
const f = (n: number, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : String(n));
const mb = (bytes: number) => `${f(bytes / MB, 1)} MB`;
const ms = (n: number, digits = 3) => `${f(n, digits)} ms`;
const pct = (cpuSeconds: number, seconds: number) => `${f((cpuSeconds / seconds) * 100, 3)} %`;
const ratio = (a: number, b: number, digits = 2) => (b > 0 ? `${f(a / b, digits)}x` : 'n/a');

/** Every target of the issue, judged against the figures. Pure. */
export function targetRows(r: BenchResults): TargetRow[] {
  const rows: TargetRow[] = [];
  const add = (target: string, measured: string, met: boolean, missedBy: string) => rows.push({ target, measured, met, verdict: met ? 'met' : `missed: ${missedBy}` });
  const light = r.light;
  add(
    'CPU per scrape (1 request/s) at or below node_exporter',
    `${ms(light.ours.cpuMsPerScrape)} vs ${ms(light.node.cpuMsPerScrape)} (${ratio(light.ours.cpuMsPerScrape, light.node.cpuMsPerScrape)})`,
    light.ours.cpuMsPerScrape <= light.node.cpuMsPerScrape,
    `${ms(light.ours.cpuMsPerScrape - light.node.cpuMsPerScrape)} more per scrape`,
  );
  add(
    'CPU per request under wrk at or below node_exporter',
    `${ms(r.load.ours.cpuMsPerRequest, 4)} vs ${ms(r.load.node.cpuMsPerRequest, 4)} (${ratio(r.load.ours.cpuMsPerRequest, r.load.node.cpuMsPerRequest)})`,
    r.load.ours.cpuMsPerRequest <= r.load.node.cpuMsPerRequest,
    `${ms(r.load.ours.cpuMsPerRequest - r.load.node.cpuMsPerRequest, 4)} more per request`,
  );
  const idleOurs = r.idle.ours.cpuSeconds / r.idle.seconds;
  // Issue 12's form: node_exporter does nothing between scrapes, so "at or below node_exporter" would ask for no sampling.
  add(
    'Idle CPU at most 0.1 % of a core',
    `${pct(r.idle.ours.cpuSeconds, r.idle.seconds)} of a core (node_exporter ${pct(r.idle.node.cpuSeconds, r.idle.seconds)}: it does nothing between scrapes; ours samples every second)`,
    idleOurs <= 0.001,
    `${f((idleOurs - 0.001) * 100, 3)} % of a core over`,
  );
  const throughput = r.load.ours.wrk.okPerSecond / r.load.node.wrk.okPerSecond;
  const busy = (l: BenchResults['load']['ours']) => l.cpuSeconds / l.wrk.durationSeconds;
  add(
    'Throughput at least 10x node_exporter',
    `${f(r.load.ours.wrk.okPerSecond, 0)} vs ${f(r.load.node.wrk.okPerSecond, 0)} answers/s (${f(throughput, 1)}x); exporter CPU ${f(busy(r.load.ours) * 100, 0)} % vs ${f(busy(r.load.node) * 100, 0)} % of a core; per core of CPU ${f(1000 / r.load.ours.cpuMsPerRequest, 0)} vs ${f(1000 / r.load.node.cpuMsPerRequest, 0)} requests/s (${f(r.load.node.cpuMsPerRequest / r.load.ours.cpuMsPerRequest, 1)}x)`,
    throughput >= 10,
    `${f(throughput, 1)}x, ${f(10 - throughput, 1)}x short`,
  );
  add(
    'Sampler lag p99 under 1 ms idle',
    `${ms(light.lag.perTick.p99)} per tick (max ${ms(light.lag.perTick.max)}; histogram p99 <= ${ms(light.lag.histogramP99BoundMs, 2)})`,
    light.lag.perTick.p99 < 1,
    `${ms(light.lag.perTick.p99 - 1)} over`,
  );
  const loaded = r.store.lag;
  add(
    'Sampler lag p99 under 2 ms under load',
    `${ms(loaded.perTick.p99)} per tick over ${loaded.perTick.n} ticks under wrk (max ${ms(loaded.perTick.max)}; histogram p99 <= ${ms(loaded.histogramP99BoundMs, 2)})`,
    loaded.perTick.p99 < 2,
    `${ms(loaded.perTick.p99 - 2)} over`,
  );
  const worstMax = Math.max(light.lag.perTick.max, loaded.perTick.max, r.load.lag.perTick.max);
  add('Jitter under 5 ms (the seed: worst tick lag seen)', ms(worstMax), worstMax < 5, `${ms(worstMax - 5)} over`);
  const oursStore = r.store.jobs.find((j) => j.job === 'cpu-exporter');
  add(
    `Zero samples lost at 1 s (${f(r.store.seconds / 60, 1)} min, under wrk)`,
    oursStore ? `${oursStore.lost} lost of ${oursStore.expected} expected over ${oursStore.series} series` : 'no data',
    oursStore !== undefined && oursStore.lost === 0 && oursStore.series > 0,
    oursStore ? `${oursStore.lost} samples lost` : 'no data',
  );
  const idleOverBare = r.idle.ours.rssBytes - r.bareNode.rssBytes;
  const ourMemory = r.idle.ours.memory;
  const bareMemory = r.bareNode.memory;
  // Private pages are what the exporter holds; file pages are mostly Node's own binary, shared with every Node process.
  const split =
    ourMemory?.rssAnonBytes !== undefined && bareMemory?.rssAnonBytes !== undefined && ourMemory.rssFileBytes !== undefined && bareMemory.rssFileBytes !== undefined
      ? `; private (RssAnon) +${mb(ourMemory.rssAnonBytes - bareMemory.rssAnonBytes)}, Node's mapped code (RssFile) +${mb(ourMemory.rssFileBytes - bareMemory.rssFileBytes)}`
      : '';
  add(
    'Idle RSS within 10 MB of bare Node',
    `${mb(r.idle.ours.rssBytes)} vs ${mb(r.bareNode.rssBytes)} bare (+${mb(idleOverBare)}${split})`,
    idleOverBare <= 10 * MB,
    `${mb(idleOverBare - 10 * MB)} over`,
  );
  const peak = Math.max(r.load.ours.peakRssBytes, r.store.peakRssBytes);
  add('Peak RSS under load under 75 MB', mb(peak), peak < 75 * MB, `${mb(peak - 75 * MB)} over`);
  const hang = r.gpu.hang.ours.latencyMs;
  const floor = r.gpu.hang.floor.latencyMs;
  // Issue 12's form: against a bare Node server scraped the same way, since most of a scrape's time is this machine's.
  add(
    'GPU exporter scrape p99 within 1 ms of a bare Node server while nvidia-smi hangs',
    `p50 ${ms(hang.p50)}, p99 ${ms(hang.p99)}, max ${ms(hang.max)} (${hang.n} scrapes; a bare Node server here: p50 ${ms(floor.p50)}, p99 ${ms(floor.p99)}; p99 ${ms(hang.p99 - floor.p99)} over it)`,
    hang.p99 - floor.p99 <= 1,
    `p99 ${ms(hang.p99 - floor.p99 - 1)} over the floor + 1 ms`,
  );
  add(
    `Many exporters: no sample lost (${r.many.exporters} exporters, ${f(r.many.seconds, 0)} s)`,
    `${r.many.scrapesLost} scrapes lost of ${r.many.scrapesExpected}`,
    r.many.scrapesLost === 0,
    `${r.many.scrapesLost} scrapes lost`,
  );
  return rows;
}

const summaryCells = (s: Summary) => `${ms(s.p50)} | ${ms(s.p99)} | ${ms(s.max)}`;

function lagRow(name: string, lag: LagFigures): string {
  return `| ${name} | ${lag.perTick.n} | ${summaryCells(lag.perTick)} | <= ${ms(lag.histogramP99BoundMs, 2)} | ${lag.missedTicks} | ${lag.merged} |`;
}

function storeRows(jobs: readonly StoreSeriesFigures[]): string[] {
  return jobs.map((j) => `| ${j.job} | ${j.series} | ${j.expected / Math.max(1, j.series)} | ${j.storedMin}-${j.storedMax} | ${j.stored} / ${j.expected} | ${j.lost} | ${j.seriesWithLoss} |`);
}

/** The short table `--quick` prints. Pure. */
export function formatTable(r: BenchResults): string {
  const rows = targetRows(r);
  const width = Math.max(...rows.map((row) => row.target.length));
  const measuredWidth = Math.max(...rows.map((row) => row.measured.length));
  const lines = rows.map((row) => `${row.target.padEnd(width)}  ${row.measured.padEnd(measuredWidth)}  ${row.met ? 'met' : row.verdict}`);
  const load = r.loads.map((l) => `${l.phase}: ${f(l.load1Mean, 2)}`).join('; ');
  return [
    `${r.plan.mode} run, ${r.machine.cpuModel} x${r.machine.cores}, ${r.machine.kernel}, Node ${r.machine.node}`,
    `load average (1 min) by phase: ${load}`,
    '',
    `${'target'.padEnd(width)}  ${'measured (ours vs node_exporter where both)'.padEnd(measuredWidth)}  verdict`,
    ...lines,
    '',
  ].join('\n');
}

/** The sampler-lag chart: per-tick lag, idle and under wrk. Pure. */
export function lagChart(r: BenchResults): string {
  const points = (lag: LagFigures) => lag.series.map((t) => [t.atSeconds, t.lagMs] as const);
  return lineChartSvg({
    title: `CPU exporter sampler lag per tick (${r.machine.cpuModel}, ${r.plan.mode} run ${r.startedAt.slice(0, 10)})`,
    xLabel: 'seconds into the phase',
    yLabel: 'lag (ms)',
    series: [
      { label: `idle, 2 scrapers at 1 s (${r.light.lag.perTick.n} ticks)`, color: '#1f77b4', points: points(r.light.lag) },
      { label: `under wrk -c${r.plan.wrkConnections} (${r.store.lag.perTick.n} ticks)`, color: '#d62728', points: points(r.store.lag) },
    ],
  });
}

/** docs/BENCHMARKS.md. `notes` is the hand-written analysis kept from the previous file. Pure. */
export function formatMarkdown(r: BenchResults, notes: string): string {
  const rows = targetRows(r);
  const L = r.light;
  const out: string[] = [];
  const push = (...lines: string[]) => out.push(...lines);
  push(
    '# Benchmarks',
    '',
    '<!-- Generated by `pnpm bench --full` (tools/bench): every figure below comes from that command. Only the',
    '     notes section between the markers is written by hand and kept when the file is regenerated. -->',
    '',
    `Reproduce: \`pnpm bench --full\` (about 30 minutes; \`pnpm bench --quick\` prints the targets table in under 2 minutes).`,
    '',
    `Run: ${r.plan.mode}, ${r.startedAt} to ${r.finishedAt}.`,
    '',
    '## Machine',
    '',
    '| | |',
    '| --- | --- |',
    `| CPU | ${r.machine.cpuModel}, ${r.machine.cores} cores |`,
    `| kernel | ${r.machine.kernel} |`,
    `| Node | ${r.machine.node} |`,
    `| load generator | wrk ${r.machine.wrk}, 1 thread, ${r.plan.wrkConnections} connections${r.machine.pinned ? ', pinned to CPU 1 (taskset -c 1); the exporters pinned to CPU 0 (taskset -a -p -c 0)' : ', unpinned'} |`,
    `| our exporters | \`node ${SHIPPED_NODE_ARGS.join(' ')} dist/main.js\`, as tools/start.sh and the images (NODE_OPTIONS) run them |`,
    `| fixture | \`${r.fixture}\` powercap tree, counters advanced by @proj/stack's energy writer; node_exporter 1.5 reads the same tree (\`--collector.disable-defaults --collector.rapl\`) |`,
    '',
    'The machine is shared with other engineers running test suites: the 1-minute load average during each phase',
    '(read every 5 s) says how busy it was. On 2 cores, a load above 2 means the benchmark waited for CPU.',
    '',
    '| phase | seconds | load (1 min) mean | max |',
    '| --- | --- | --- | --- |',
    ...r.loads.map((l) => `| ${l.phase} | ${f(l.seconds, 0)} | ${f(l.load1Mean, 2)} | ${f(l.load1Max, 2)} |`),
    '',
    '## Targets',
    '',
    'Ours vs node_exporter where both are named. No test asserts these: they are measured and reported.',
    '',
    '| target | measured | verdict |',
    '| --- | --- | --- |',
    ...rows.map((row) => `| ${row.target} | ${row.measured} | ${row.met ? 'met' : `**${row.verdict}**`} |`),
    '',
    '<!-- notes -->',
    notes.trim() === '' ? '_No notes yet._' : notes.trim(),
    '<!-- /notes -->',
    '',
    '## 1. /metrics latency and throughput',
    '',
    `At 1 request/s, each on a new connection (Node http.request, no agent), ${L.scrapesPerExporter / 2} requests per exporter:`,
    '',
    '| exporter | p50 | p99 | max |',
    '| --- | --- | --- | --- |',
    `| cpu_exporter | ${summaryCells(L.ours.latencyMs)} |`,
    `| node_exporter | ${summaryCells(L.node.latencyMs)} |`,
    `| ratio ours / node_exporter | ${ratio(L.ours.latencyMs.p50, L.node.latencyMs.p50)} | ${ratio(L.ours.latencyMs.p99, L.node.latencyMs.p99)} | ${ratio(L.ours.latencyMs.max, L.node.latencyMs.max)} |`,
    `| bare Node HTTP server, fixed body (the floor here) | ${summaryCells(L.floorLatencyMs)} |`,
    '',
    `Under load: \`${r.load.ours.wrk.command.replace(/ http\S+$/, ' <url>/metrics')}\` (keep-alive connections), one exporter at a time:`,
    '',
    '| exporter | 2xx answers/s | p50 | p99 | max | errors | exporter CPU (of a core) | CPU per request | peak RSS (VmHWM) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    `| cpu_exporter | ${f(r.load.ours.wrk.okPerSecond, 0)} | ${ms(r.load.ours.wrk.latencyMs.p50)} | ${ms(r.load.ours.wrk.latencyMs.p99)} | ${ms(r.load.ours.wrk.latencyMs.max)} | ${r.load.ours.wrk.errors} | ${pct(r.load.ours.cpuSeconds, r.load.ours.wrk.durationSeconds)} | ${ms(r.load.ours.cpuMsPerRequest, 4)} | ${mb(r.load.ours.peakRssBytes)} |`,
    `| node_exporter | ${f(r.load.node.wrk.okPerSecond, 0)} | ${ms(r.load.node.wrk.latencyMs.p50)} | ${ms(r.load.node.wrk.latencyMs.p99)} | ${ms(r.load.node.wrk.latencyMs.max)} | ${r.load.node.wrk.errors} | ${pct(r.load.node.cpuSeconds, r.load.node.wrk.durationSeconds)} | ${ms(r.load.node.cpuMsPerRequest, 4)} | ${mb(r.load.node.peakRssBytes)} |`,
    `| ratio | ${ratio(r.load.ours.wrk.okPerSecond, r.load.node.wrk.okPerSecond, 1)} | ${ratio(r.load.ours.wrk.latencyMs.p50, r.load.node.wrk.latencyMs.p50)} | ${ratio(r.load.ours.wrk.latencyMs.p99, r.load.node.wrk.latencyMs.p99)} | ${ratio(r.load.ours.wrk.latencyMs.max, r.load.node.wrk.latencyMs.max)} | | | ${ratio(r.load.ours.cpuMsPerRequest, r.load.node.cpuMsPerRequest)} | ${ratio(r.load.ours.peakRssBytes, r.load.node.peakRssBytes)} |`,
    '',
    'An exporter below 100 % of its core was not the bottleneck: wrk, on the other core, was. Errors are non-2xx answers',
    'and socket errors; node_exporter answers 503 beyond `--web.max-requests` (40 by default) requests in parallel, and',
    'those answers are not counted as served.',
    '',
    '## 2. CPU and memory, measured from outside',
    '',
    'CPU is utime + stime of /proc/<pid>/stat (10 ms ticks), memory VmRSS and VmHWM of /proc/<pid>/status, read the same',
    `way for both exporters. Idle: ${f(r.idle.seconds, 0)} s with nothing scraping. Scraped: ${f(L.seconds, 0)} s of two scrapers`,
    'at 1 s each. CPU per scrape = (CPU while scraped - idle CPU rate x time) / scrapes.',
    '',
    '| | cpu_exporter | node_exporter | ratio |',
    '| --- | --- | --- | --- |',
    `| idle CPU (of a core) | ${pct(r.idle.ours.cpuSeconds, r.idle.seconds)} | ${pct(r.idle.node.cpuSeconds, r.idle.seconds)} | ${ratio(r.idle.ours.cpuSeconds, r.idle.node.cpuSeconds)} |`,
    `| CPU at 2 scrapes/s (of a core) | ${pct(L.ours.cpuSeconds, L.seconds)} | ${pct(L.node.cpuSeconds, L.seconds)} | ${ratio(L.ours.cpuSeconds, L.node.cpuSeconds)} |`,
    `| CPU seconds over the scraped window | ${f(L.ours.cpuSeconds, 2)} | ${f(L.node.cpuSeconds, 2)} | |`,
    `| CPU per scrape | ${ms(L.ours.cpuMsPerScrape)} | ${ms(L.node.cpuMsPerScrape)} | ${ratio(L.ours.cpuMsPerScrape, L.node.cpuMsPerScrape)} |`,
    `| idle RSS | ${mb(r.idle.ours.rssBytes)} | ${mb(r.idle.node.rssBytes)} | ${ratio(r.idle.ours.rssBytes, r.idle.node.rssBytes)} |`,
    `| peak RSS after wrk and the store phase (VmHWM) | ${mb(Math.max(r.load.ours.peakRssBytes, r.store.peakRssBytes))} | ${mb(r.load.node.peakRssBytes)} | |`,
    '',
    `Bare Node (\`node -e 'setInterval(()=>{},1000)'\`, same idle window): ${mb(r.bareNode.rssBytes)} RSS, ${pct(r.bareNode.cpuSeconds, r.idle.seconds)} CPU.`,
    '',
    '## 3. Sampler lag',
    '',
    "Per tick, from outside and without changing the exporter: a 1 Hz scrape placed half a tick after the sampler's",
    'ticks sees exactly one new observation of `cpu_exporter_sampler_lag_seconds`, so the growth of its `_sum` is that',
    "tick's lag. (`merged`: ticks that fell two to a scrape, left out.) The histogram column is the bucket bound holding",
    'p99, from the exporter\'s own histogram over the same window.',
    '',
    '| when | ticks | p50 | p99 | max | histogram p99 | missed ticks | merged |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    lagRow(`idle (2 scrapers at 1 s, ${f(L.seconds, 0)} s)`, L.lag),
    lagRow(`wrk -c${r.plan.wrkConnections} (${r.plan.wrkSeconds} s)`, r.load.lag),
    lagRow(`wrk -c${r.plan.wrkConnections} + VictoriaMetrics (${f(r.store.seconds, 0)} s)`, r.store.lag),
    '',
    '![sampler lag per tick](sampler-lag.svg)',
    '',
    'Early wake-ups: metrics-core\'s sampler alone (tools/bench/src/spin-probe.ts, one process per setting, run side by',
    'side). A timer fires up to about a millisecond before or after its deadline; an early one is put back to sleep',
    '(`earlyMs` 0, the sampler before issue 12), starts the tick at once when at most 0.5 ms early (`earlyMs` 0.5, the',
    'default), or is waited out in a busy loop with the timer armed 2 ms before each deadline (`spinMs` 2, a custom',
    '`schedule`). Lag is the distance from the deadline, early or late, as the sampler\'s histogram records it. CPU per',
    'tick includes everything the process did, Node\'s own wake-up included.',
    '',
    '| phase | earlyMs | spinMs | timer armed early | ticks | lag p50 | p99 | max | CPU per tick | CPU (of a core) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...[
      ['idle', r.spin.light],
      ['under wrk', r.spin.store],
    ].flatMap(([name, figures]) =>
      (figures as BenchResults['spin']['light']).map(
        (s) => `| ${name as string} | ${s.earlyMs} ms | ${s.spinMs} ms | ${s.wakeEarlyMs} ms | ${s.lagMs.n} | ${summaryCells(s.lagMs)} | ${ms(s.cpuMs / Math.max(1, s.lagMs.n))} | ${pct(s.cpuMs / 1000, s.seconds)} |`,
      ),
    ),
    '',
    '## 4. Samples lost',
    '',
    `VictoriaMetrics (the committed infra/victoriametrics/scrape.yml: every 1 s, timeout 800 ms) scraped each exporter for`,
    `${f(r.store.seconds, 0)} s while wrk loaded the CPU exporter (${f(r.store.wrk.okPerSecond, 0)} answers/s, ${r.store.wrk.errors} errors).`,
    'Every stored series is counted from its raw samples: expected one per second; lost = missing scrapes found in the gaps.',
    '',
    '| job | series | expected per series | stored per series | stored / expected | lost | series with loss |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...storeRows(r.store.jobs),
    '',
    '## 5. GPU exporter vs a per-scrape-spawn exporter',
    '',
    'The baseline (tools/bench/src/baseline-exporter.ts) spawns `nvidia-smi --query-gpu=... --format=csv,noheader,nounits`',
    'on every scrape and formats the same gauges; it gives up after 5 s. Both run the fake nvidia-smi (H100 capture). Each',
    'is scraped once a second over a keep-alive connection, as a scraper holds one; "bare Node" is a Node HTTP server',
    'answering a fixed body (tools/bench/src/floor-server.ts), scraped the same way: the floor of this machine.',
    'CPU: the exporter process itself, and its children (the fake nvidia-smi is a Node script, so children CPU overstates',
    'what a real nvidia-smi costs; compare the exporters\' own CPU).',
    '',
    '| nvidia-smi | exporter | scrapes | p50 | p99 | max | failed | own CPU (of a core) | children CPU (of a core) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...(
      [
        ['10-30 ms per call', 'gpu_exporter', r.gpu.slow.ours],
        ['10-30 ms per call', 'per-scrape spawn', r.gpu.slow.baseline],
        ['10-30 ms per call', 'bare Node (floor)', r.gpu.slow.floor],
        ['hung', 'gpu_exporter', r.gpu.hang.ours],
        ['hung', 'per-scrape spawn', r.gpu.hang.baseline],
        ['hung', 'bare Node (floor)', r.gpu.hang.floor],
      ] as const
    ).map(([smi, name, g]) => `| ${smi} | ${name} | ${g.latencyMs.n} | ${summaryCells(g.latencyMs)} | ${g.failed} | ${pct(g.ownCpuSeconds, g.seconds)} | ${pct(g.childrenCpuSeconds, g.seconds)} |`),
    '',
    `While nvidia-smi hung, the GPU exporter missed ${r.gpu.hang.oursMissedTicks} sampler ticks.`,
    '',
    '## 6. Many exporters, one store',
    '',
    `${r.many.exporters} CPU exporter processes (one fixture tree each) scraped every second by one VictoriaMetrics for ${f(r.many.seconds, 0)} s.`,
    '',
    '| | |',
    '| --- | --- |',
    `| scrapes lost (\`up\` == 1 samples missing) | ${r.many.scrapesLost} of ${r.many.scrapesExpected} |`,
    ...r.many.jobs.map((j) => `| samples stored / expected (${j.series} series) | ${j.stored} / ${j.expected}, ${j.lost} lost |`),
    `| VictoriaMetrics CPU (of a core) | ${pct(r.many.vmCpuSeconds, r.many.seconds)} |`,
    `| VictoriaMetrics peak RSS | ${mb(r.many.vmPeakRssBytes)} |`,
    `| exporters' CPU, all together (of a core) | ${pct(r.many.exportersCpuSeconds, r.many.seconds)} (${pct(r.many.exportersCpuSeconds / r.many.exporters, r.many.seconds)} each) |`,
    '',
  );
  return `${out.join('\n')}\n`;
}

/** The hand-written notes between the markers of an existing BENCHMARKS.md, or ''. Pure. */
export function extractNotes(markdown: string): string {
  const match = /<!-- notes -->\n([\s\S]*?)\n?<!-- \/notes -->/.exec(markdown);
  if (!match || match[1]!.trim() === '_No notes yet._') return '';
  return match[1]!;
}
