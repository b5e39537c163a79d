import type { Collector, Logger } from '@proj/metrics-core/metrics';
import type { HwmonIo } from '@proj/hwmon-reader';
import type { EstimateModelName } from '@proj/power-estimate';
import type { ProcIo } from '@proj/proc-reader';
import type { Hono } from 'hono';
import { Hono as HonoApp } from 'hono';
import type { Registry } from 'prom-client';
import type { RaplCollector } from './collector.js';
import type { TickCpuTimes } from './cpu-times.js';
import { createBestEnergySource, type BestEnergySource, type CandidateSource } from './energy-source.js';
import { createEstimateCollector } from './estimate.js';
import { createHwmonCollector } from './hwmon.js';
import { createIpmiCollector, type IpmiDecision } from './ipmi.js';

/** The power sources beside RAPL, from the command line (`--hwmon`, `--ipmi*`, `--estimate-*`, `--procfs-root`). */
export interface PowerSourcesOptions {
  /** Read hwmon power and energy sensors under the sysfs root; on by default. */
  readonly hwmon?: boolean;
  /** IPMI DCMI: off unless resolveIpmi enabled it. */
  readonly ipmi?: IpmiDecision & { readonly intervalMs?: number; readonly timeoutMs?: number };
  /** `/proc` by default. */
  readonly procfsRoot?: string;
  readonly estimateModel?: EstimateModelName;
  readonly estimateTdpWatts?: number;
  /** Injected filesystems (tests). */
  readonly hwmonIo?: HwmonIo;
  readonly procIo?: ProcIo;
}

/** The collectors to place after RAPL (hwmon, IPMI, estimate, then the selector), and the selector attribution reads. */
export interface PowerSources {
  readonly collectors: readonly Collector[];
  /** The best CPU energy source: hand it to attribution as its `energy`. */
  readonly best: BestEnergySource;
  /** One sentence for the landing page: which sources are live, which one attribution uses. */
  describe(): string;
}

/**
 * Builds the sources after RAPL in the order they are sampled: hwmon (unless off), IPMI (when enabled), the estimate
 * (always: it is cheap, and beside a meter it shows how far the model is off), then the best-source selector.
 */
export function createPowerSources(
  options: PowerSourcesOptions & { registry: Registry; sysfsRoot: string; rapl: RaplCollector; logger?: Logger; rediscoverEveryMs?: number; cpuTimes?: TickCpuTimes },
): PowerSources {
  const { registry, logger } = options;
  const common = { registry, ...(logger === undefined ? {} : { logger }) };
  const hwmon =
    options.hwmon === false
      ? undefined
      : createHwmonCollector({
          ...common,
          sysfsRoot: options.sysfsRoot,
          ...(options.hwmonIo === undefined ? {} : { io: options.hwmonIo }),
          ...(options.rediscoverEveryMs === undefined ? {} : { rediscoverEveryMs: options.rediscoverEveryMs }),
        });
  const ipmi =
    options.ipmi?.enabled === true
      ? createIpmiCollector({
          ...common,
          command: options.ipmi.command,
          tool: options.ipmi.tool,
          intervalMs: options.ipmi.intervalMs ?? 5000,
          timeoutMs: options.ipmi.timeoutMs ?? 10_000,
        })
      : undefined;
  const estimate = createEstimateCollector({
    ...common,
    procfsRoot: options.procfsRoot ?? '/proc',
    model: options.estimateModel ?? 'ccf_linear',
    ...(options.estimateTdpWatts === undefined ? {} : { tdpWatts: options.estimateTdpWatts }),
    ...(options.procIo === undefined ? {} : { io: options.procIo }),
    ...(options.cpuTimes === undefined ? {} : { cpuTimes: options.cpuTimes }),
  });
  const { rapl } = options;
  const raplCandidate: CandidateSource = { lastIntervals: () => rapl.lastIntervals(), live: () => rapl.health().details?.['rapl_available'] === true };
  const best = createBestEnergySource({
    candidates: [
      { name: 'rapl', source: raplCandidate },
      ...(hwmon === undefined ? [] : [{ name: 'hwmon' as const, source: { lastIntervals: () => hwmon.lastIntervals(), live: () => hwmon.socketEnergyLive() } }]),
      { name: 'estimate', source: estimate },
    ],
    others: [...(hwmon === undefined ? [] : [{ name: 'hwmon_sensors', live: () => hwmon.live() }]), ...(ipmi === undefined ? [] : [{ name: 'ipmi', live: () => ipmi.live() }])],
  });
  return {
    collectors: [...(hwmon === undefined ? [] : [hwmon]), ...(ipmi === undefined ? [] : [ipmi]), estimate, best],
    best,
    describe() {
      const sources = best.sources();
      const live = sources.filter((s) => s.live).map((s) => s.name);
      const dead = sources.filter((s) => !s.live).map((s) => s.name);
      return `Power sources live: ${live.join(', ') || 'none'}${dead.length === 0 ? '' : `; not live: ${dead.join(', ')}`}${ipmi === undefined ? '; ipmi off' : ''}. CPU energy attribution uses: ${best.chosen() ?? 'nothing yet'}.`;
    },
  };
}

/**
 * The exporter's app with a landing page that also says which power sources are live: the page metrics-core serves,
 * with one more paragraph made at request time; every other request goes to `app` unchanged.
 */
export function withSourcesOnLanding(app: Hono, describe: () => string): Hono {
  const outer = new HonoApp();
  outer.get('/', async (c) => {
    const inner = await app.request('/');
    const html = (await inner.text()).replace('</body>', `<p id="power-sources">${describe()}</p>\n</body>`);
    return c.html(html, inner.status as 200);
  });
  outer.all('*', (c) => app.fetch(c.req.raw));
  return outer;
}
