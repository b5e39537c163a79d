// Faults the built exporter meets on real hosts, acted out on fixture trees while it runs: each test also shows
// that the sampler keeps its cadence (ticks advance, none missed) and that no joule it could read is lost.
// Unit tests of the same arithmetic live in rapl-reader (meter.test.ts) and src/collector.test.ts; these run the
// process, so the read errors come from the kernel and the clock is the real one.
import {
  freezableMountUnavailable,
  launchNodeServer,
  mountFreezable,
  parseSamples,
  sampleValue,
  until,
  type MaterializedTree,
  type Sample,
  type SpawnedServer,
} from '@proj/fixtures';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { ENTRY, scrape, ticksLater, ticksOf, useHarness, writeEnergyUj } from './harness.js';

const { tree, start, defer } = useHarness();

/**
 * Starts the exporter as an unprivileged user (nobody) when the tests run as root, so that a file made
 * unreadable (chmod 000) really answers EACCES, as energy_uj does for non-root users since CVE-2020-8694.
 */
async function startUnprivileged(t: MaterializedTree): Promise<SpawnedServer> {
  const asRoot = process.getuid?.() === 0;
  let entry = ENTRY;
  if (asRoot) {
    chmodSync(t.root, 0o755); // mkdtemp made it 0700
    // The checkout may sit where nobody cannot read (under /root): run a copy of the bundle, which needs nothing beside it.
    const dir = mkdtempSync(join(tmpdir(), 'cpu-exporter-bundle-'));
    defer(() => rmSync(dir, { recursive: true, force: true }));
    chmodSync(dir, 0o755);
    entry = join(dir, 'main.js');
    copyFileSync(ENTRY, entry);
    chmodSync(entry, 0o644);
  }
  const server = await launchNodeServer(entry, ['--port', '0', '--host', '127.0.0.1', '--sysfs-root', t.root, '--interval', '200ms'], asRoot ? { uid: 65534, gid: 65534 } : {});
  defer(() => server.stop('SIGKILL'));
  return server;
}

/** The sampler kept its cadence: it ticked all along and skipped no deadline. */
function expectOnTime(first: Sample[], last: Sample[]): void {
  expect(ticksOf(last).ticks).toBeGreaterThan(ticksOf(first).ticks);
  expect(ticksOf(last).missed).toBe(0);
}

const joules = (samples: Sample[], zone: string) => sampleValue(samples, 'rapl_energy_joules_total', { zone });
const watts = (samples: Sample[], zone: string) => sampleValue(samples, 'rapl_power_watts', { zone });

describe('cpu_exporter under faults, sampling on time', () => {
  it('energy_uj turning EACCES mid-run and back: the other zones go on, the energy used meanwhile is kept', async () => {
    const t = tree('intel-laptop-psys-symlinks');
    const base = 26963529117;
    const server = await startUnprivileged(t);
    const first = await ticksLater(server, 1);
    writeEnergyUj(t, 'intel-rapl:0', base + 10_000_000);
    expect(joules(await ticksLater(server), 'package_0')).toBe(10);

    const unreadableAtMs = performance.now();
    writeEnergyUj(t, 'intel-rapl:0', base + 30_000_000, 0o000); // 20 J more, and unreadable
    await until(async () => (sampleValue(await scrape(server), 'cpu_exporter_read_errors_total', { reason: 'permission_denied' }) ?? 0) >= 2);
    const denied = await scrape(server);
    expect(watts(denied, 'package_0')).toBeUndefined();
    expect(watts(denied, 'core')).toBe(0); // the other zones are still read
    expect(sampleValue(denied, 'rapl_available')).toBe(1);
    const health = (await (await fetch(`${server.url}/health`)).json()) as { status: string; reasons: string[] };
    expect(health.status).toBe('degraded');
    expect(health.reasons[0]).toContain('intel-rapl:0: permission_denied');

    const readableAtMs = performance.now();
    writeEnergyUj(t, 'intel-rapl:0', base + 35_000_000); // readable again, 5 J more
    let recovered: Sample[] = [];
    await until(async () => joules((recovered = await scrape(server)), 'package_0') === 35, 20_000, 5);
    // The first scrape with the zone back is of the tick that read it, or of a later one (power 0, nothing moved
    // since). The tick that read it saw 25 J over an interval from before the first write to after the second, so
    // longer than the time between them: its power is above 0 and at most 25 J over that time.
    const recoveredWatts = watts(recovered, 'package_0')!;
    expect(recoveredWatts === 0 || (recoveredWatts > 0 && recoveredWatts <= 25 / ((readableAtMs - unreadableAtMs) / 1000)), `${recoveredWatts} W`).toBe(true);
    const back = await ticksLater(server, 3);
    // 10 + 20 (while unreadable) + 5: nothing lost, since the counter itself kept counting
    expect(joules(back, 'package_0')).toBe(35);
    // Its power is back, and true: the counter has not moved since the read that brought the zone back.
    expect(watts(back, 'package_0')).toBe(0);
    expect(((await (await fetch(`${server.url}/health`)).json()) as { status: string }).status).toBe('ok');
    expect(sampleValue(back, 'cpu_exporter_read_errors_total', { reason: 'not_found' })).toBe(0);
    expectOnTime(first, back);
  });

  it('a zone vanishing and returning: dropped at once, found again, its total going on from where it was', async () => {
    const t = tree('intel-laptop-psys-symlinks');
    const base = 51327734012; // intel-rapl:1 (psys), a top-level zone: found only through class/powercap
    const server = await start(t, '--interval', '200ms');
    const first = await ticksLater(server, 1);
    writeEnergyUj(t, 'intel-rapl:1', base + 2_000_000);
    expect(joules(await ticksLater(server), 'psys')).toBe(2);

    const link = t.zoneDir('intel-rapl:1');
    renameSync(link, `${link}.gone`);
    defer(() => existsSync(`${link}.gone`) && renameSync(`${link}.gone`, link));
    await until(async () => sampleValue(await scrape(server), 'rapl_zones_discovered') === 4);
    const gone = await scrape(server);
    expect(watts(gone, 'psys')).toBeUndefined();
    expect(watts(gone, 'core')).toBe(0);

    renameSync(`${link}.gone`, link);
    writeEnergyUj(t, 'intel-rapl:1', base + 5_000_000); // it counted on while away: 3 J, kept (well within the gap limit)
    // Zones are looked for again every 10 s.
    await until(async () => sampleValue(await scrape(server), 'rapl_zones_discovered') === 5, 25_000);
    await ticksLater(server); // the first reading after its return continues from its last one before
    writeEnergyUj(t, 'intel-rapl:1', base + 6_500_000);
    const back = await ticksLater(server, 3);
    expect(joules(back, 'psys')).toBe(6.5); // 2 + 3 while away + 1.5
    expect(watts(back, 'psys')).toBe(0); // back, and still since the last step
    expectOnTime(first, back);
  }, 40_000);

  it('wraps at the Intel package and DRAM ranges, and a counter reset where no range is known', async () => {
    const t = tree('malformed-values');
    const intelMax = 262143328850; // intel-rapl:0, package_0
    const dramMax = 65712999613; // intel-rapl:0:1, dram
    const server = await start(t, '--interval', '200ms');
    writeEnergyUj(t, 'intel-rapl:0', intelMax - 1_000_000);
    writeEnergyUj(t, 'intel-rapl:0:1', dramMax - 2_000_000);
    const first = await ticksLater(server);
    const before = { pkg: joules(first, 'package_0')!, dram: joules(first, 'dram')!, pkg1: joules(first, 'package_1')! };

    writeEnergyUj(t, 'intel-rapl:0', 3_000_000); // 1 J to the top, 3 J after
    writeEnergyUj(t, 'intel-rapl:0:1', 500_000); // 2 J to the top, 0.5 J after
    writeEnergyUj(t, 'intel-rapl:1', 1_000_000); // package_1 has no usable range: a decrease is a reset
    const wrapped = await ticksLater(server);
    expect(joules(wrapped, 'package_0')! - before.pkg).toBeCloseTo(4, 9);
    expect(joules(wrapped, 'dram')! - before.dram).toBeCloseTo(2.5, 9);
    expect(joules(wrapped, 'package_1')).toBe(before.pkg1); // the reset interval is skipped, never negative
    expect(sampleValue(wrapped, 'cpu_exporter_energy_intervals_skipped_total', { reason: 'reset' })).toBe(1);

    writeEnergyUj(t, 'intel-rapl:1', 3_000_000);
    const after = await ticksLater(server, 3);
    expect(joules(after, 'package_1')! - before.pkg1).toBeCloseTo(2, 9);
    // Power again after the reset, and true: the counter has been still since the step was read.
    expect(watts(after, 'package_1')).toBe(0);
    expect(sampleValue(after, 'cpu_exporter_energy_intervals_skipped_total', { reason: 'gap' })).toBe(0);
    expectOnTime(first, after);
  });

  it("two wraps close together at AMD's range", async () => {
    const t = tree('amd-epyc-7401p');
    const max = 65532610987;
    const server = await start(t, '--interval', '200ms');
    writeEnergyUj(t, 'intel-rapl:0', max - 1_000_000);
    const first = await ticksLater(server);
    const before = joules(first, 'package_0')!;
    writeEnergyUj(t, 'intel-rapl:0', 2_000_000); // wrap: 1 J + 2 J
    await ticksLater(server);
    writeEnergyUj(t, 'intel-rapl:0', max - 500_000); // almost a whole range later, no wrap
    await ticksLater(server);
    writeEnergyUj(t, 'intel-rapl:0', 4_000_000); // wrap again: 0.5 J + 4 J
    const last = await ticksLater(server);
    expect(joules(last, 'package_0')! - before).toBeCloseTo((3_000_000 + (max - 500_000 - 2_000_000) + 4_500_000) / 1e6, 6);
    expect(sampleValue(last, 'cpu_exporter_energy_intervals_skipped_total', { reason: 'reset' })).toBe(0);
    expectOnTime(first, last);
  });
});

// A read stuck in the kernel, where O_NONBLOCK means nothing (a hung driver, a stopped FUSE daemon, a dead NFS server):
// here the sysfs root is a FUSE mirror of the tree whose daemon is then stopped, so every open and read under it waits
// in the kernel. Reads run on libuv's thread pool: the stuck one holds a pool thread, the event loop goes on.
const noFuse = freezableMountUnavailable();
describe('cpu_exporter over a sysfs root whose reads hang in the kernel', () => {
  it.skipIf(noFuse !== undefined)(
    `keeps answering HTTP (/health 503 "sampler stalled") and ends within its stop deadline on SIGTERM${noFuse === undefined ? '' : ` (skipped: ${noFuse})`}`,
    async () => {
      const t = tree('amd-epyc-7401p');
      const mount = await mountFreezable(t.root);
      defer(() => mount.close());
      const server = await launchNodeServer(ENTRY, ['--port', '0', '--host', '127.0.0.1', '--sysfs-root', mount.dir, '--interval', '200ms']);
      defer(() => server.stop('SIGKILL'));
      // The tree is read through the mount: energy written to it shows.
      const first = await ticksLater(server, 1);
      writeEnergyUj(t, 'intel-rapl:0', 2535552910 + 5_000_000); // 5 J after the tree's value
      await until(async () => joules(await scrape(server), 'package_0')! - joules(first, 'package_0')! === 5);

      mount.freeze();
      // No tick finishes from now on; past the stall limit (max(3 intervals, interval + 2 s)) /health says so.
      await until(async () => (await fetch(`${server.url}/health`)).status === 503);
      const health = (await (await fetch(`${server.url}/health`)).json()) as { status: string; reasons: string[] };
      expect(health.status).toBe('stalled');
      expect(health.reasons[0]).toMatch(/^sampler stalled: no sample finished in the last 2\.2 s/);
      // /metrics serves the last exposition published, the 5 J included.
      const metrics = await fetch(`${server.url}/metrics`);
      expect(metrics.status).toBe(200);
      expect(joules(parseSamples(await metrics.text()), 'package_0')! - joules(first, 'package_0')!).toBe(5);

      // The stop waits for the stuck sample until its deadline (900 ms), says so, and ends the process by SIGKILL:
      // process.exit would join the stuck thread and hang with it.
      const { code, signal, ms } = await server.stop('SIGTERM');
      expect({ code, signal }).toEqual({ code: null, signal: 'SIGKILL' });
      expect(server.stderr()).toContain('msg="graceful stop did not finish in time: ending by SIGKILL" deadline_ms=900');
      expect(ms).toBeGreaterThanOrEqual(900);
      expect(ms).toBeLessThan(10_000); // about a second; generous for a loaded machine
    },
  );
});
