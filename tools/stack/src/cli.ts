#!/usr/bin/env node
import { relative } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_FIXTURE, startStack, type RunningStack, type StackOptions } from './stack.js';
import { repoRoot } from './paths.js';
import { vectorOf } from './prom-api.js';

const USAGE = `Usage: pnpm stack [options]

Runs the telemetry stack without Docker, from installed binaries and the committed infra/ configs:
VictoriaMetrics (1 s scrapes) and Prometheus (5 s), the CPU exporter, the GPU exporter (when built),
and node_exporter's RAPL collector as the reference. Ctrl-C stops everything and removes the run directory.

Options:
  --fixture NAME       read this powercap fixture tree (tools/fixtures/powercap/NAME.json), advanced by a
                       writer, even when the host's RAPL is readable (default when it is not: ${DEFAULT_FIXTURE})
  --host-sysfs         insist on the host's /sys/class/powercap (fail if unreadable)
  --no-gpu             do not start the GPU exporter
  --gpu-capture NAME   the machine the fake nvidia-smi replays (FAKE_NVIDIA_SMI_CAPTURE; default
                       rtx-4080-super, whose captures show NVENC at work; see tools/fake-nvidia-smi)
  --free-ports         any free ports instead of 8428, 9090, 9510, 9511, 9100
  --keep               keep the run directory (data, logs, configs) after stopping
  --quiet              no periodic line of live values
  -h, --help           this text`;

function fail(message: string): never {
  process.stderr.write(`stack: ${message}\n`);
  process.exit(2);
}

function banner(lines: readonly string[]): string {
  const width = Math.min(100, Math.max(...lines.map((l) => l.length)) + 4);
  const bar = '!'.repeat(width);
  return [bar, ...lines.map((l) => `!! ${l}`), bar].join('\n');
}

function wrap(text: string, width = 94): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + word.length + 1 > width) {
      out.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) out.push(line);
  return out;
}

function describe(stack: RunningStack): string {
  const rel = (p: string) => relative(process.cwd(), p) || '.';
  const vm = stack.victoriaMetrics.url;
  const lines = [
    '',
    `Local telemetry stack up (run directory ${rel(stack.runDir)}, logs in ${rel(stack.runDir)}/logs)`,
    `  VictoriaMetrics  ${vm}   UI ${vm}/vmui   targets ${vm}/targets`,
    `  Prometheus       ${stack.prometheus.url}`,
    `  CPU exporter     ${stack.cpuExporter.url}/metrics   (${stack.sysfs.source === 'host' ? "host's /sys" : `fixture ${stack.sysfs.fixture?.tree.name}`})`,
    stack.gpuExporter
      ? `  GPU exporter     ${stack.gpuExporter.url}/metrics   (${stack.gpu.source === 'host' ? "host's nvidia-smi" : `nvidia-smi ${stack.gpu.nvidiaSmi}`})`
      : '  GPU exporter     not running',
    `  node_exporter    ${stack.nodeExporter.url}/metrics   (RAPL collector only, the reference)`,
    '',
    'Try:',
    `  curl '${vm}/api/v1/query?query=rapl_power_watts'`,
    `  curl '${vm}/api/v1/query_range?query=rapl_power_watts&start=-5m&step=1s'`,
    `  curl '${vm}/api/v1/query?query=increase(rapl_energy_joules_total[1m])'`,
    'Grafana is not part of the local stack (it runs under Docker Compose: make vm-up); its dashboards in',
    'infra/grafana/dashboards query these same series.',
    'Ctrl-C stops everything.',
    '',
  ];
  return lines.join('\n');
}

async function liveLine(stack: RunningStack): Promise<string> {
  const api = stack.victoriaMetrics.api;
  const [power, series] = await Promise.all([
    api.query('rapl_power_watts').then(vectorOf),
    api.query('count({job=~"cpu-exporter|gpu-exporter|node-exporter"})').then(vectorOf),
  ]);
  const zones = power
    .map((s) => `${s.metric.zone}${s.metric.package !== undefined && !s.metric.zone?.startsWith('package') ? `(${s.metric.package})` : ''}=${Number(s.value[1]).toFixed(1)}W`)
    .join(' ');
  const gpu = stack.gpuExporter ? vectorOf(await api.query('gpu_power_draw_watts')).map((s) => `gpu${s.metric.gpu_id}=${Number(s.value[1]).toFixed(1)}W`).join(' ') : '';
  return `[${new Date().toISOString().slice(11, 19)}] VictoriaMetrics: ${series[0]?.value[1] ?? 0} series; ${zones || 'no rapl_power_watts yet'}${gpu ? ` ${gpu}` : ''}`;
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        fixture: { type: 'string' },
        'host-sysfs': { type: 'boolean' },
        'no-gpu': { type: 'boolean' },
        'gpu-capture': { type: 'string' },
        'free-ports': { type: 'boolean' },
        keep: { type: 'boolean' },
        quiet: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: false,
    }));
  } catch (error) {
    fail(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (values.fixture && values['host-sysfs']) fail('--fixture and --host-sysfs exclude each other');

  const options: StackOptions = {
    baseDir: `${repoRoot}.tmp`,
    keepRunDir: values.keep === true,
    ports: values['free-ports'] ? 'free' : 'default',
    sysfs: values.fixture ? { fixture: values.fixture } : values['host-sysfs'] ? 'host' : 'auto',
    gpu: values['no-gpu'] ? 'off' : 'auto',
    fakeGpuCapture: values['gpu-capture'] ?? 'rtx-4080-super',
    log: (message) => process.stderr.write(`stack: ${message}\n`),
  };

  // A signal during start-up must still tear down what started: remember it and stop once start returns.
  let signalled: NodeJS.Signals | undefined;
  let stack: RunningStack | undefined;
  let stopping: Promise<void> | undefined;
  const shutdown = (code: number) =>
    (stopping ??= (async () => {
      process.stderr.write('stack: stopping ...\n');
      await stack?.stop();
      process.stderr.write(values.keep && stack ? `stack: stopped; kept ${stack.runDir}\n` : 'stack: stopped, run directory removed\n');
      process.exit(code);
    })());
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      signalled = signal;
      if (stack) void shutdown(0);
    });
  }

  try {
    stack = await startStack(options);
  } catch (error) {
    process.stderr.write(`stack: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
  if (signalled) return void shutdown(0);

  if (stack.notices.length > 0) process.stderr.write(`\n${banner(stack.notices.flatMap((n) => [...wrap(n), '']).slice(0, -1))}\n`);
  process.stdout.write(describe(stack));

  void stack.firstExit.then(({ service, exit }) => {
    process.stderr.write(`stack: ${service.name} exited (code ${exit.code}, signal ${exit.signal}); its log ends:\n${service.logTail()}\n`);
    void shutdown(1);
  });

  if (!values.quiet) {
    const tick = async () => {
      if (stopping) return;
      try {
        process.stdout.write(`${await liveLine(stack!)}\n`);
      } catch (error) {
        process.stdout.write(`stack: live query failed: ${error instanceof Error ? error.message : String(error)}\n`);
      }
    };
    setTimeout(() => void tick(), 2_000);
    setInterval(() => void tick(), 10_000);
  }
}

void main();
