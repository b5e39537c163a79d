import { openProcfs, type CpuTimes } from '@proj/proc-reader';
import { killGroup, spawnGroup } from '@proj/subprocess';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  ACCOUNTING_DESCRIPTIONS,
  cpuIntervals,
  makeOwnCgroup,
  parseWrapperReport,
  sampleTree,
  scanProcesses,
  WRAPPER_SCRIPT,
  type AccountingMethod,
  type OwnCgroup,
} from './accounting.js';
import { chooseEnergySource } from './energy.js';
import type { EnergyRunFlags } from './flags.js';
import { probeGpus, watchGpus, type GpuEnergy, type GpuWatch } from './gpu.js';
import { attributeRun, type RunResult, type TickRecord } from './report.js';

/** USER_HZ: the unit of /proc/stat and /proc/<pid>/stat times; 100 on every Linux architecture node runs on. */
const USER_HZ = 100;

/** energy-run could not do what it was asked (a forced cgroup that cannot be made): its own failure, as env(1) says. */
export class EnergyRunError extends Error {
  override readonly name = 'EnergyRunError';
  constructor(
    message: string,
    readonly reason: 'cgroup_unavailable' | 'spawn_failed',
  ) {
    super(message);
  }
}

const FORWARDED: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'];

/**
 * Runs `command` under the wrapper, sampling energy, /proc/stat and the command's CPU every interval, and returns
 * what it measured once the command has ended. Signals this process gets are sent on to the command's group.
 */
export async function energyRun(flags: EnergyRunFlags, command: readonly string[]): Promise<RunResult> {
  const now = () => performance.now();
  const notes: string[] = [];
  const procfs = openProcfs({ procfsRoot: flags['procfs-root'] });
  const readCpu = (): CpuTimes | null => {
    try {
      return procfs.readCpuTimes();
    } catch {
      return null;
    }
  };
  const firstCpu = readCpu();
  if (firstCpu === null) notes.push(`cannot read ${join(flags['procfs-root'], 'stat')}: no shares, no estimate`);
  const source = await chooseEnergySource({ sysfsRoot: flags['sysfs-root'], cpuCount: firstCpu?.cpuCount ?? null, estimate: flags.estimate === 'on', now });

  let cgroup: OwnCgroup | undefined;
  if (flags.cgroup || flags['cgroup-hierarchy'] !== 'none') {
    const made = makeOwnCgroup({
      cgroupRoot: flags['cgroup-root'],
      procfsRoot: flags['procfs-root'],
      hierarchy: flags['cgroup-hierarchy'] === 'none' ? 'auto' : flags['cgroup-hierarchy'],
      name: String(process.pid),
    });
    if ('cgroup' in made) cgroup = made.cgroup;
    else if (flags.cgroup) throw new EnergyRunError(`--cgroup: no cgroup of its own could be made: ${made.reasons.join('; ')}`, 'cgroup_unavailable');
    else notes.push(`no cgroup of its own (${made.reasons.join('; ')})`);
  }

  const probe = await probeGpus(flags['nvidia-smi']);
  const everInTree = new Set<number>();
  let gpuWatch: GpuWatch | undefined;
  if ('gpus' in probe) gpuWatch = watchGpus({ nvidiaSmi: flags['nvidia-smi'], gpus: probe.gpus, intervalMs: flags.interval, isCommandPid: (pid) => everInTree.has(pid) });

  const reportDir = mkdtempSync(join(tmpdir(), 'energy-run-'));
  const reportFile = join(reportDir, 'report');
  const ticks: TickRecord[] = [];
  const cumulativeCpu: (number | null)[] = [];
  let rootPid: number | undefined;
  let previousCpu = firstCpu;
  const sample = async (): Promise<void> => {
    const atMs = now();
    const cpu = readCpu();
    const busy = cpu !== null && previousCpu !== null ? { deltaBusyTicks: cpu.busyTicks - previousCpu.busyTicks, deltaTotalTicks: cpu.totalTicks - previousCpu.totalTicks } : null;
    if (cpu !== null) previousCpu = cpu;
    const energy = await source.sample(atMs, busy);
    let commandCpu: number | null = rootPid === undefined ? 0 : null;
    if (rootPid !== undefined) {
      if (cgroup !== undefined) commandCpu = cgroup.readUsageSeconds();
      if (cgroup === undefined || gpuWatch !== undefined) {
        const tree = sampleTree(scanProcesses(procfs), rootPid);
        for (const pid of tree.pids) everInTree.add(pid);
        if (cgroup === undefined) commandCpu = tree.pids.size === 0 ? null : tree.cpuTicks / USER_HZ;
      }
    }
    ticks.push({ atMs, busyTicks: cpu?.busyTicks ?? null, totalTicks: cpu?.totalTicks ?? null, energy });
    cumulativeCpu.push(commandCpu);
  };

  await sample(); // the baseline, before the command exists
  const startedAt = now();
  const child = spawnGroup('sh', ['-c', WRAPPER_SCRIPT, 'energy-run', cgroup?.procsFile ?? '', reportFile, ...command], { stdin: 'inherit', output: 'inherit' });
  rootPid = child.pid;
  const forward = (signal: NodeJS.Signals) => () => {
    killGroup(child.pid, signal);
  };
  const handlers = FORWARDED.map((signal) => [signal, forward(signal)] as const);
  for (const [signal, handler] of handlers) process.on(signal, handler);

  // Samples on start + k x interval (monotonic), as the exporters' sampler does; a late tick runs at once. One
  // sample at a time: the next is scheduled once the last has resolved, and none after the command has ended.
  let timer: NodeJS.Timeout | undefined;
  let ticking: Promise<void> = Promise.resolve();
  let stopped = false;
  let k = 0;
  const schedule = (): void => {
    k = Math.max(k + 1, Math.floor((now() - startedAt) / flags.interval) + 1);
    timer = setTimeout(() => {
      ticking = sample().then(() => {
        if (!stopped) schedule();
      });
    }, Math.max(0, startedAt + k * flags.interval - now()));
  };
  schedule();

  const ended = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; spawnError?: Error }>((resolve) => {
    child.once('error', (error) => resolve({ code: null, signal: null, spawnError: error }));
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  const endedAt = now();
  stopped = true;
  clearTimeout(timer);
  await ticking; // a sample in flight ends before the last one starts
  for (const [signal, handler] of handlers) process.off(signal, handler);
  if (ended.spawnError) {
    await gpuWatch?.stop();
    await cgroup?.remove();
    rmSync(reportDir, { recursive: true, force: true });
    throw new EnergyRunError(`cannot start sh: ${ended.spawnError.message}`, 'spawn_failed');
  }

  let reportText = '';
  try {
    reportText = readFileSync(reportFile, 'utf8');
  } catch {
    // the wrapper was killed before it could write: sampling alone
  }
  rmSync(reportDir, { recursive: true, force: true });
  const report = parseWrapperReport(reportText);
  const rusageSeconds = report === undefined ? undefined : report.childrenCpuTicks / USER_HZ;

  let method: AccountingMethod;
  let exactSeconds: number | null = null;
  // Without a report (the wrapper was killed) a cgroup that used CPU still tells: only the wrapper could have entered it.
  const cgroupUsage = cgroup?.readUsageSeconds() ?? null;
  const moved = report !== undefined ? report.movedToCgroup : cgroupUsage !== null && cgroupUsage > 0;
  if (cgroup !== undefined && moved && cgroupUsage !== null) {
    method = cgroup.version === 'v2' ? 'cgroup-v2' : 'cgroup-v1';
    exactSeconds = cgroupUsage;
    if (report === undefined) notes.push("the wrapper was killed before it could report; the cgroup's usage still counts every process");
  } else if (rusageSeconds !== undefined) {
    method = 'rusage';
    exactSeconds = rusageSeconds;
    if (cgroup !== undefined) notes.push(`the command could not be moved into ${cgroup.dir}`);
  } else {
    method = 'sampling';
    notes.push('the wrapper did not report its children\'s times (killed?): CPU time is sampled');
  }
  const usedCgroup = method.startsWith('cgroup') ? cgroup : undefined;
  await sample(); // the last interval: up to the command's end
  if (exactSeconds !== null) cumulativeCpu[cumulativeCpu.length - 1] = exactSeconds;

  let gpus: GpuEnergy[] | null = null;
  if (gpuWatch !== undefined) {
    gpus = await gpuWatch.stop();
    notes.push(...gpuWatch.notes());
  }
  if (cgroup !== undefined) {
    const left = await cgroup.remove();
    if (left !== null) notes.push(left);
  }

  const cpuPerInterval = cpuIntervals(cumulativeCpu, exactSeconds);
  const cpuSeconds = cpuPerInterval.reduce((a, b) => a + b, 0);
  const exitCode = report?.status ?? ended.code ?? 128 + (ended.signal === null ? 0 : (constants.signals[ended.signal] ?? 0));
  return {
    command,
    exitCode,
    wallSeconds: (endedAt - startedAt) / 1000,
    cpuSeconds,
    accounting: {
      method,
      description: ACCOUNTING_DESCRIPTIONS[method],
      ...(usedCgroup === undefined ? {} : { cgroup: usedCgroup.dir }),
      ...(rusageSeconds === undefined ? {} : { rusageCpuSeconds: rusageSeconds }),
    },
    energySource: { kind: source.kind, description: source.description },
    intervalMs: flags.interval,
    samples: ticks.length,
    cpuCount: firstCpu?.cpuCount ?? null,
    attribution: attributeRun(ticks, source.zones, cpuPerInterval, USER_HZ),
    gpus,
    ...('reason' in probe ? { gpuReason: `none (${probe.reason})` } : {}),
    notes,
  };
}
