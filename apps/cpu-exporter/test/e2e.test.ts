// The built exporter as a process, against fixture trees: what a user runs.
import { loadPowercapTree, maskVolatile, parseSamples, powercapTreeNames, runToExit, sampleValue, until, type SpawnedServer } from '@proj/fixtures';
import { expectGolden } from '@proj/fixtures/harness';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ENTRY, ticksLater, useHarness, writeEnergyUj } from './harness.js';

const { tree, start, defer } = useHarness();

async function health(server: SpawnedServer): Promise<{ status: string; reasons: string[]; sampler: { ticks: number } }> {
  return (await (await fetch(`${server.url}/health`)).json()) as { status: string; reasons: string[]; sampler: { ticks: number } };
}

async function waitForTicks(server: SpawnedServer, ticks: number): Promise<void> {
  await until(async () => (await health(server)).sampler.ticks >= ticks);
}

const golden = (file: string): string => fileURLToPath(new URL(`golden/${file}`, import.meta.url));

/** The families whose name matches `names` (HELP, TYPE, samples, the blank line after), and `# EOF`. */
function familiesOf(exposition: string, names: RegExp): string {
  let keep = false;
  return exposition
    .split('\n')
    .filter((line) => {
      const help = /^# HELP (\S+)/.exec(line);
      if (help) keep = names.test(help[1]!);
      return keep || line === '# EOF';
    })
    .join('\n');
}

describe.each(powercapTreeNames())('cpu_exporter on %s', (name) => {
  it('serves /metrics equal to the golden file (time-dependent values masked)', async () => {
    // What the tree gives, not what this host runs: no per-process or per-container attribution (their series would
    // be whatever ffmpeg or container the machine has at the time).
    const server = await start(tree(name), '--interval', '200ms', '--attribute-processes', '', '--attribute-containers', 'false');
    await waitForTicks(server, 2);
    // The estimate has a power once /proc/stat has moved between two of its reads. Two ticks are not always enough: a
    // late first tick is followed at once by the next (seen under stress), and the kernel's counters, in 10 ms steps,
    // may not have moved in between.
    let res = await fetch(`${server.url}/metrics`);
    let body = await res.text();
    await until(async () => {
      if (/^cpu_power_estimate_watts\{/m.test(body)) return true;
      res = await fetch(`${server.url}/metrics`);
      body = await res.text();
      return false;
    });
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');

    // Read errors grow by one per unreadable zone per tick: check that here, mask it in the golden file.
    const samples = parseSamples(body);
    const ticks = sampleValue(samples, 'cpu_exporter_sampler_ticks_total')!;
    const unreadable = loadPowercapTree(name).expect.unreadable?.length ?? 0;
    expect(sampleValue(samples, 'cpu_exporter_read_errors_total', { reason: 'parse_error' })).toBe(ticks * unreadable);
    for (const reason of ['permission_denied', 'not_found', 'io_error', 'no_data', 'other']) {
      expect(sampleValue(samples, 'cpu_exporter_read_errors_total', { reason })).toBe(0);
    }

    // The estimate models this host's busy share (the real /proc/stat) and integrates it over time; without RAPL
    // zones, the node's active and idle energy are split from the estimate's.
    const estimated = [/^cpu_(power|energy)_estimate_/, ...(loadPowercapTree(name).expect.zones.length === 0 ? [/^energy_node_cpu_(active|idle)_joules_total$/] : [])];
    await expectGolden(maskVolatile(body, [/^cpu_exporter_read_errors_total$/, ...estimated]), golden(`${name}.prom`));
  });
});

describe('cpu_exporter with counters that move', () => {
  // A writer moves the counters by known amounts, a step at a time, each read before the next, one across DRAM's
  // wrap; then they stand still. Whatever the ticks' timing, each total is the sum of its steps (multiples of
  // 0.25 J, exact in binary), and with the counters still for a whole interval every power is exactly 0: nothing of
  // these families needs a mask. The golden files hold the RAPL families only: the rest of the exposition is the
  // per-tree goldens' business (and grows with every new collector).
  const RAPL_FAMILIES = /^(rapl_|cpu_exporter_read_errors|cpu_exporter_energy_intervals_skipped)/;

  it('serves the energy the writer added, exactly, in the text format and in OpenMetrics, equal to the golden files', async () => {
    const t = tree('xeon-2socket-dram');
    const range = new Map(t.tree.expect.zones.map((z) => [z.path, z.max_energy_range_uj!]));
    const counter = new Map(t.tree.expect.zones.map((z) => [z.path, z.energy_uj]));
    const add = (id: string, uj: number) => {
      const max = range.get(id)!;
      const next = counter.get(id)! + uj;
      counter.set(id, next > max ? next - max : next); // past the top: the kernel's counter wraps
      writeEnergyUj(t, id, counter.get(id)!);
    };
    add('intel-rapl:0:0', range.get('intel-rapl:0:0')! - 2_000_000 - counter.get('intel-rapl:0:0')!); // 2 J below the wrap, before the start
    const server = await start(t, '--interval', '100ms');

    const steps: Record<string, number>[] = [
      { 'intel-rapl:0': 12_500_000, 'intel-rapl:0:0': 1_250_000 },
      { 'intel-rapl:0': 7_250_000, 'intel-rapl:1': 30_000_000 },
      { 'intel-rapl:0:0': 1_250_000 }, // 0.75 J to the top, 0.5 J after it
    ];
    let samples = await ticksLater(server, 1);
    for (const step of steps) {
      for (const [id, uj] of Object.entries(step)) add(id, uj);
      samples = await ticksLater(server, 3);
    }
    expect(counter.get('intel-rapl:0:0')).toBe(500_000); // the writer did wrap it
    const joules = (zone: string, pkg: string) => sampleValue(samples, 'rapl_energy_joules_total', { zone, package: pkg });
    expect([joules('package_0', '0'), joules('dram', '0'), joules('package_1', '1'), joules('dram', '1')]).toEqual([19.75, 2.5, 30, 0]);
    expect(sampleValue(samples, 'cpu_exporter_energy_intervals_skipped_total', { reason: 'reset' })).toBe(0);

    // Nothing moves any more: every later scrape is the same.
    const text = await (await fetch(`${server.url}/metrics`)).text();
    await expectGolden(familiesOf(text, RAPL_FAMILIES), golden('xeon-2socket-dram-moved.prom'));
    const res = await fetch(`${server.url}/metrics`, { headers: { accept: 'application/openmetrics-text; version=1.0.0' } });
    expect(res.headers.get('content-type')).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8');
    const openMetrics = await res.text();
    expect(openMetrics.endsWith('# EOF\n')).toBe(true);
    await expectGolden(familiesOf(openMetrics, RAPL_FAMILIES), golden('xeon-2socket-dram-moved.om.txt'));
  });
});

describe('cpu_exporter process', () => {
  it('answers /health, /, 404 and 405', async () => {
    const server = await start(tree('intel-laptop-psys-symlinks'));
    const ok = await fetch(`${server.url}/health`);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ status: 'ok', reasons: [], rapl_available: true });
    expect((await fetch(`${server.url}/`)).status).toBe(200);
    expect((await fetch(`${server.url}/nope`)).status).toBe(404);
    const post = await fetch(`${server.url}/metrics`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });

  it('keeps serving without powercap: rapl_available 0 and a degraded 200 /health', async () => {
    const server = await start(tree('no-powercap'));
    const body = await (await fetch(`${server.url}/metrics`)).text();
    expect(sampleValue(body, 'rapl_available')).toBe(0);
    expect(sampleValue(body, 'rapl_zones_discovered')).toBe(0);
    expect(sampleValue(body, 'cpu_exporter_info', { language: 'typescript' })).toBe(1);
    const res = await fetch(`${server.url}/health`);
    expect(res.status).toBe(200);
    const report = (await res.json()) as { status: string; reasons: string[] };
    expect(report.status).toBe('degraded');
    expect(report.reasons[0]).toContain('no RAPL zones');
  });

  it('reports power and energy as the counters move, across a wrap', async () => {
    const t = tree('amd-epyc-7401p');
    const max = 65532610987;
    t.setEnergyUj('intel-rapl:0', max - 1_000_000);
    const server = await start(t, '--interval', '100ms');
    await waitForTicks(server, 1);
    t.setEnergyUj('intel-rapl:0', 4_000_000); // wrapped: 1 J to the top, then 4 J
    const before = (await health(server)).sampler.ticks;
    await waitForTicks(server, before + 2);
    const body = await (await fetch(`${server.url}/metrics`)).text();
    expect(sampleValue(body, 'rapl_energy_joules_total', { zone: 'package_0' })).toBe(5);
    expect(sampleValue(body, 'rapl_power_watts', { zone: 'package_0' })).toBe(0); // nothing moved in the last interval
    expect(sampleValue(body, 'cpu_exporter_energy_intervals_skipped_total', { reason: 'reset' })).toBe(0);
  });

  it('serves the same rapl_power_watts to two scrapers at different rates for the same sample', async () => {
    const t = tree('intel-laptop-psys-symlinks');
    const server = await start(t, '--interval', '200ms');
    // A writer moves package-0 at a rate that changes all the time.
    let energyUj = 26963529117;
    const writer = setInterval(() => {
      energyUj += Math.floor(Math.random() * 5_000_000);
      t.setEnergyUj('intel-rapl:0', energyUj);
    }, 37);
    defer(() => clearInterval(writer));

    const seen = [new Map<number, number>(), new Map<number, number>()];
    const scrapeInto = async (into: Map<number, number>) => {
      const samples = parseSamples(await (await fetch(`${server.url}/metrics`)).text());
      const at = sampleValue(samples, 'cpu_exporter_last_sample_timestamp_seconds');
      const watts = sampleValue(samples, 'rapl_power_watts', { zone: 'package_0' });
      if (at !== undefined && watts !== undefined) into.set(at, watts);
    };
    const common = () => [...seen[0]!.keys()].filter((at) => seen[1]!.has(at));
    // Until both have seen enough of the same samples, however long a loaded machine takes to get there.
    const enough = () => common().length >= 4 && new Set(common().map((at) => seen[0]!.get(at))).size > 1;
    const deadline = Date.now() + 60_000;
    await Promise.all(
      [50, 130].map(async (everyMs, i) => {
        while (!enough() && Date.now() < deadline) {
          await scrapeInto(seen[i]!);
          await new Promise((resolve) => setTimeout(resolve, everyMs));
        }
      }),
    );
    expect(common().length).toBeGreaterThanOrEqual(4);
    for (const at of common()) expect(seen[1]!.get(at)).toBe(seen[0]!.get(at));
    // and the power really moved between samples: the window is the sampler's, not the scraper's
    expect(new Set(common().map((at) => seen[0]!.get(at))).size).toBeGreaterThan(1);
  }, 90_000);

  it('exits 0 by its graceful stop on SIGTERM and on SIGINT, a keep-alive connection open', async () => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      const server = await start(tree('amd-epyc-7401p'));
      await fetch(`${server.url}/metrics`, { keepalive: true });
      // Exit 0 is the graceful stop finished within the exporter's own 900 ms deadline (past it, it ends by SIGKILL): no
      // stopwatch here, which a loaded machine would stretch.
      const { code } = await server.stop(signal);
      expect(code).toBe(0);
      expect(server.stderr()).toContain(`msg=stopping signal=${signal}`);
    }
  });

  it('exits 0 by its graceful stop when SIGTERM comes the moment it says it is listening, every time', async () => {
    // The handlers are installed before anything is announced: a signal at readiness never kills it by default action.
    const t = tree('amd-epyc-7401p');
    const codes: (number | null)[] = [];
    for (let i = 0; i < 20; i++) {
      const server = await start(t);
      codes.push((await server.stop('SIGTERM')).code);
    }
    expect(codes).toEqual(Array.from({ length: 20 }, () => 0));
  }, 120_000);

  it('says it is listening even with --log-level error, and logs nothing else at info', async () => {
    const server = await start(tree('amd-epyc-7401p'), '--log-level', 'error');
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    expect(server.stderr()).toMatch(/level=info msg=listening address=http:\/\/127\.0\.0\.1:\d+\n/);
    expect(server.stderr()).not.toContain('msg="starting');
  });

  it.each([
    [['--port', '1', '--port', '2'], 'cpu_exporter: --port: given more than once'],
    [['--port', 'abc'], 'cpu_exporter: --port: "abc" is not a port number (0-65535)'],
    [['--interval', 'fast'], 'cpu_exporter: --interval: "fast" is not a duration (use e.g. 1s, 500ms, 2m)'],
    [['--sysfs-root', '/nonexistent'], 'cpu_exporter: --sysfs-root: /nonexistent is not a directory'],
    [['--bogus'], 'cpu_exporter: --bogus: unknown flag (see --help)'],
  ])('exits 2 with one clear line for %j', async (args, line) => {
    const { code, stdout, stderr } = await runToExit(ENTRY, args);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe(`${line}\n`);
  });

  it('exits 2 for a bad environment value, naming the variable', async () => {
    const { code, stderr } = await runToExit(ENTRY, [], { CPU_EXPORTER_PORT: 'x' });
    expect(code).toBe(2);
    expect(stderr).toBe('cpu_exporter: CPU_EXPORTER_PORT: "x" is not a port number (0-65535)\n');
  });

  it('exits 1 with one line when the port is taken', async () => {
    const first = await start(tree('amd-epyc-7401p'));
    const port = new URL(first.url).port;
    const { code, stderr } = await runToExit(ENTRY, ['--port', port, '--host', '127.0.0.1', '--sysfs-root', '/']);
    expect(code).toBe(1);
    expect(stderr).toContain(`cannot listen on 127.0.0.1:${port}: address already in use`);
  });

  it('prints --help and --version', async () => {
    const help = await runToExit(ENTRY, ['--help']);
    expect(help.code).toBe(0);
    for (const flag of ['--port', '--host', '--interval', '--sysfs-root', '--log-level', 'CPU_EXPORTER_PORT']) expect(help.stdout).toContain(flag);
    const version = await runToExit(ENTRY, ['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout).toMatch(/^cpu_exporter \d+\.\d+\.\d+ \(typescript, node /);
  });
});

describe('cpu_exporter --healthcheck', () => {
  it('exits 0 while the exporter on that port answers, 1 when none does', async () => {
    const server = await start(tree('amd-epyc-7401p'));
    const port = new URL(server.url).port;
    const up = await runToExit(ENTRY, ['--healthcheck', '--host', '127.0.0.1'], { CPU_EXPORTER_PORT: port });
    expect(up.code).toBe(0);
    expect(up.stdout).toContain('"status":"ok"');
    await server.stop();
    const down = await runToExit(ENTRY, ['--healthcheck', '--host', '127.0.0.1', '--port', port]);
    expect(down.code).toBe(1);
  });
});
