import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

describe('pnpm bench', () => {
  // The harness imports the stack's bundle: a bundling mistake there (a dynamic require) once kept it from starting
  // while every unit test passed.
  it('starts from its build and prints its usage', () => {
    const out = execFileSync(process.execPath, [cli, '--help'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(out).toMatch(/^usage: pnpm bench/);
    expect(out).toContain('--quick');
  });
});

describe('read-probe', () => {
  it('reads the same files both ways and reports the CPU of each per read', () => {
    const probe = fileURLToPath(new URL('../dist/read-probe.js', import.meta.url));
    const out = execFileSync(process.execPath, [probe, '--reads', '30', '--rounds', '2'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const result = JSON.parse(out) as { reads: number; syncUsPerRead: number; poolUsPerRead: number; files: string[] };
    expect(result.reads).toBe(60);
    expect(result.files.length).toBeGreaterThan(0);
    expect(result.syncUsPerRead).toBeGreaterThan(0);
    expect(result.poolUsPerRead).toBeGreaterThan(0);
  });
});

describe('memory-probe', () => {
  it('measures every process from outside: idle RSS, then peak RSS and answers per second under wrk', () => {
    const probe = fileURLToPath(new URL('../dist/memory-probe.js', import.meta.url));
    const out = execFileSync(process.execPath, [probe, '--settle-s', '1', '--wrk-s', '1', '--connections', '4'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const result = JSON.parse(out.trim().split('\n').at(-1)!) as { bareRssBytes: number; rows: { name: string; idleRssBytes: number; peakRssBytes: number; okPerSecond: number }[] };
    expect(result.rows.map((r) => r.name)).toEqual([
      'bare Node HTTP server',
      'cpu_exporter',
      'cpu_exporter, --max-semi-space-size=1',
      'gpu_exporter',
      'gpu_exporter, --max-semi-space-size=1',
    ]);
    expect(result.bareRssBytes).toBeGreaterThan(0);
    for (const row of result.rows) {
      expect(row.idleRssBytes, row.name).toBeGreaterThan(0);
      expect(row.peakRssBytes, row.name).toBeGreaterThanOrEqual(row.idleRssBytes);
      expect(row.okPerSecond, row.name).toBeGreaterThan(0);
    }
  }, 120_000);
});

describe('lag-probe', () => {
  it.each(['main', 'worker'])('ticks the sampler on the %s thread and reports its lag and the memory', (where) => {
    const probe = fileURLToPath(new URL('../dist/lag-probe.js', import.meta.url));
    const out = execFileSync(process.execPath, [probe, '--where', where, '--interval-ms', '100', '--duration-s', '1', '--connections', '0'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const result = JSON.parse(out) as { where: string; ticks: number; lagMs: { n: number; p50: number; max: number }; rssBytes: number; okPerSecond: number | null };
    expect(result.where).toBe(where);
    expect(result.ticks).toBeGreaterThan(1); // 1 s at 100 ms: about ten (fewer on a loaded machine)
    expect(result.lagMs.n).toBe(result.ticks);
    expect(result.lagMs.p50).toBeGreaterThanOrEqual(0);
    expect(result.lagMs.max).toBeGreaterThanOrEqual(result.lagMs.p50);
    expect(result.rssBytes).toBeGreaterThan(0);
    expect(result.okPerSecond).toBeNull(); // no load asked for
  });
});

describe('gzip-probe', () => {
  it("gzips the CPU exporter's own body both ways, checks each round trip and reports the CPU and size of each", () => {
    const probe = fileURLToPath(new URL('../dist/gzip-probe.js', import.meta.url));
    const out = execFileSync(process.execPath, [probe, '--gzips', '3', '--rounds', '1', '--pause-ms', '1'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const result = JSON.parse(out) as { bodyBytes: number; gzips: number; ways: { name: string; gzippedBytes: number; cpuUsPerGzip: number }[] };
    expect(result.bodyBytes).toBeGreaterThan(1000);
    expect(result.gzips).toBe(3);
    expect(result.ways.map((w) => w.name)).toEqual(['zlib defaults', 'GZIP_OPTIONS']);
    for (const way of result.ways) {
      expect(way.gzippedBytes).toBeGreaterThan(0);
      expect(way.gzippedBytes).toBeLessThan(result.bodyBytes);
      expect(way.cpuUsPerGzip).toBeGreaterThan(0);
    }
  }, 30_000);
});

describe('tick-probe', () => {
  it('measures every process side by side, thread by thread, and reports CPU per tick', () => {
    const probe = fileURLToPath(new URL('../dist/tick-probe.js', import.meta.url));
    const out = execFileSync(process.execPath, [probe, '--seconds', '2'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const result = JSON.parse(out.trim().split('\n').at(-1)!) as { rows: { name: string; mainMs: number; otherMs: number; totalMs: number }[]; syscallsPerTick: unknown };
    expect(result.rows.map((r) => r.name)).toEqual([
      'cpu_exporter',
      'cpu_exporter, attribution limited to /proc/stat',
      'bare Node floor (wakes each second)',
      'bare Node (setInterval 1 s)',
    ]);
    for (const row of result.rows) {
      expect(row.mainMs).toBeGreaterThan(0);
      expect(row.totalMs).toBeCloseTo(row.mainMs + row.otherMs, 9);
    }
    expect(result.syscallsPerTick).toBeNull(); // not asked for
  }, 60_000);
});
