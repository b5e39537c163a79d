// The built CPU exporter for the tests that run it as a process: @proj/fixtures' harness over its entry, and what
// those tests do to it (write a counter as the kernel would, scrape, wait for ticks).
import { parseSamples, sampleValue, until, type MaterializedTree, type Sample, type SpawnedServer } from '@proj/fixtures';
import { useExporterHarness } from '@proj/fixtures/harness';
import { chmodSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ENTRY = fileURLToPath(new URL('../dist/main.js', import.meta.url));

/** Registers the hooks of a test file; `start(tree, ...args)` runs the exporter over a fixture tree. */
export function useHarness() {
  const harness = useExporterHarness({ entry: ENTRY, buildHint: 'pnpm nx run cpu-exporter:build' });
  return {
    ...harness,
    /** The exporter on a free port over `tree`. */
    start: (tree: MaterializedTree, ...args: string[]): Promise<SpawnedServer> => harness.start(['--sysfs-root', tree.root, ...args]),
  };
}

/** Writes energy_uj the way the kernel's value appears to a reader: whole, never half-written (a torn read would be a parse error). */
export function writeEnergyUj(t: MaterializedTree, id: string, energyUj: number, mode = 0o644): void {
  const file = join(t.zoneDir(id), 'energy_uj');
  writeFileSync(`${file}.new`, `${energyUj}\n`, { mode });
  chmodSync(`${file}.new`, mode); // the umask does not get a say
  renameSync(`${file}.new`, file);
}

/** The samples of one /metrics. */
export const scrape = async (server: { url: string }): Promise<Sample[]> => parseSamples(await (await fetch(`${server.url}/metrics`)).text());

/** Ticks run and deadlines missed, as the exporter says. */
export const ticksOf = (samples: Sample[]) => ({
  ticks: sampleValue(samples, 'cpu_exporter_sampler_ticks_total')!,
  missed: sampleValue(samples, 'cpu_exporter_sampler_ticks_missed_total')!,
});

/**
 * Resolves once the exporter has published `n` more ticks than now, with the last scrape. Called after a write,
 * n = 2 makes sure a tick that started after the write has read it (the tick after the one published now may have
 * begun before it); n = 3 also makes the last interval one in which nothing written before moved.
 */
export async function ticksLater(server: { url: string }, n = 2): Promise<Sample[]> {
  const from = ticksOf(await scrape(server)).ticks;
  let samples: Sample[] = [];
  await until(async () => ticksOf((samples = await scrape(server))).ticks >= from + n);
  return samples;
}
