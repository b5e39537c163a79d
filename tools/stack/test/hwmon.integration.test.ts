// The local stack on a host without RAPL: the CPU exporter reads an ACPI power meter through hwmon (a fixture
// tree, no powercap in it) and estimates CPU power from the real /proc/stat. VictoriaMetrics and Prometheus scrape
// it; the new series must be stored, and the dashboard's host power panel must show the meter's power.
import { materializeHwmonTree, materializePowercapTree, type MaterializedHwmonTree, type MaterializedTree } from '@proj/fixtures';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinVariables, loadDashboards, panelsOf, substituteVariables } from '../src/dashboards.js';
import { vectorOf, type PromApi } from '../src/prom-api.js';
import { startStack, type RunningStack } from '../src/stack.js';
import { sleep } from '../src/wait.js';

const HWMON_TREE = 'acpi-power-meter-262w';
const HOST_POWER_PANEL = 'Host power: the best source present';

let stack: RunningStack;
let powercap: MaterializedTree;
let hwmon: MaterializedHwmonTree;
let vm: PromApi;
let prom: PromApi;

/** Polls an instant query until it returns a series (the first scrapes take a few seconds to be searchable). */
async function firstResult(api: PromApi, expr: string, timeoutMs = 40_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = vectorOf(await api.query(expr));
    if (found.length > 0) return found;
    if (Date.now() > deadline) throw new Error(`${api.baseUrl}: no data for ${expr} within ${timeoutMs} ms`);
    await sleep(500);
  }
}

beforeAll(async () => {
  // One sysfs root: no powercap zones (so rapl_available 0), and the ACPI power meter's hwmon chip beside it.
  powercap = materializePowercapTree('no-powercap');
  hwmon = materializeHwmonTree(HWMON_TREE, powercap.root);
  stack = await startStack({ baseDir: tmpdir(), ports: 'free', sysfs: { fixture: powercap }, gpu: 'off', vmExtraFlags: ['-search.latencyOffset=0s'] });
  vm = stack.victoriaMetrics.api;
  prom = stack.prometheus.api;
}, 90_000);

afterAll(async () => {
  await stack?.stop();
  powercap?.remove();
}, 30_000);

describe(`the local stack on the hwmon tree ${HWMON_TREE} (no RAPL)`, () => {
  it('stores hwmon_power_watts (262 W, labelled) and the estimate in VictoriaMetrics and Prometheus, beside rapl_available 0', async () => {
    for (const api of [vm, prom]) {
      const [meter] = await firstResult(api, 'hwmon_power_watts', 60_000);
      expect(meter!.metric).toMatchObject({ chip: 'power_meter', sensor: 'power1' });
      expect(meter!.metric['label']).toBeUndefined(); // the exporter's label="" (no _label file): stores keep no empty label
      expect(Number(meter!.value[1])).toBe(262);
      const [estimate] = await firstResult(api, 'cpu_power_estimate_watts');
      expect(estimate!.metric).toMatchObject({ model: 'ccf_linear' });
      expect(Number(estimate!.value[1])).toBeGreaterThan(0);
      await firstResult(api, 'cpu_energy_estimate_joules_total > 0');
      const [rapl] = await firstResult(api, 'rapl_available');
      expect(Number(rapl!.value[1])).toBe(0);
    }
    expect(hwmon.tree.expect.power).toEqual([expect.objectContaining({ chip: 'power_meter', watts: 262 })]);
  }, 90_000);

  it("answers the dashboard's host power panel with the power meter (the best source present), labelled as such", async () => {
    const panel = loadDashboards()
      .flatMap((d) => panelsOf(d))
      .find((p) => p.title === HOST_POWER_PANEL);
    expect(panel, HOST_POWER_PANEL).toBeDefined();
    const expr = substituteVariables(panel!.targets![0]!.expr!, builtinVariables(30));
    const [host, ...more] = await firstResult(vm, expr);
    expect(more).toEqual([]); // one line per host: the estimate is there too, but the meter wins
    expect(host!.metric['source']).toBe('hwmon power_meter: machine (ACPI)');
    expect(Number(host!.value[1])).toBe(262);
  });
});
