// The built energy-run as a process, on this machine's real /proc and cgroups, over fixture powercap trees that a
// writer advances at a known power, and against the fake nvidia-smi.
import { materializePowercapTree, runCommand, until, type CommandExit } from '@proj/fixtures';
import { createEnergyWriter } from '@proj/stack';
import { spawnGroup } from '@proj/subprocess';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';

const ENTRY = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const FAKE_NVIDIA_SMI = fileURLToPath(new URL('../../../tools/fake-nvidia-smi/nvidia-smi', import.meta.url));
const FAKE_BUILD = fileURLToPath(new URL('../../../tools/fake-nvidia-smi/dist/nvidia-smi.js', import.meta.url));

beforeAll(() => {
  for (const file of [ENTRY, FAKE_BUILD]) if (!existsSync(file)) throw new Error(`${file} is missing: build first (pnpm nx run energy-run:build)`);
});

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length > 0) cleanups.pop()!();
});
const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'energy-run-test-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
};

/** Whether this machine lets a cgroup be made in `hierarchy` (root, a writable cgroup mount). */
function canMakeCgroup(hierarchy: string): boolean {
  const dir = join('/sys/fs/cgroup', hierarchy, `energy-run-probe-${process.pid}`);
  try {
    mkdirSync(dir);
    rmdirSync(dir);
    return true;
  } catch {
    return false;
  }
}
const CGROUP_V2 = canMakeCgroup('unified') || (existsSync('/sys/fs/cgroup/cgroup.controllers') && canMakeCgroup(''));
const CGROUP_V1 = canMakeCgroup('cpuacct');

const energyRun = (args: readonly string[], env: Record<string, string> = {}): Promise<CommandExit> =>
  runCommand([process.execPath, ENTRY, ...args], { env: { ENERGY_RUN_NVIDIA_SMI: 'off', ...env } });

interface RunJson {
  command: string[];
  exitCode: number;
  wallSeconds: number;
  cpuSeconds: number;
  accounting: { method: string; description: string; cgroup?: string; rusageCpuSeconds?: number };
  host: { source: string; zone: string; package?: string; joules: number }[];
  attributed: { source: string; zone: string; package?: string; joules: number; watts: number }[];
  gpus: { gpu_id: string; gpu_uuid: string; joules: number; attributed_joules: number }[];
}

// About 20 ms of CPU in a shell loop on this machine: each child lives that long and no longer.
const BURN = 'i=0; while [ $i -lt 30000 ]; do i=$((i+1)); done';
/**
 * The wrapper whose children the kernel accounts: it forks 20 short-lived burners at once and 5 one after another,
 * waits for them, and writes `times` (its own and its reaped children's user and system time: getrusage's
 * RUSAGE_SELF and RUSAGE_CHILDREN) to $TIMES.
 */
const TREE = `for n in $(seq 20); do sh -c '${BURN}' & done; wait; for n in 1 2 3 4 5; do sh -c '${BURN}'; done; times > "$TIMES"`;

/** `times` output: the shell's own seconds and its children's. */
function parseTimes(text: string): { selfSeconds: number; childrenSeconds: number } {
  const values = [...text.matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
  if (values.length !== 4) throw new Error(`unexpected times output: ${text}`);
  return { selfSeconds: values[0]! + values[1]!, childrenSeconds: values[2]! + values[3]! };
}

describe('CPU time of a forking command', () => {
  const modes = [
    { name: 'a cgroup v2 of its own', args: ['--cgroup', '--cgroup-hierarchy', 'v2'], method: 'cgroup-v2', available: CGROUP_V2 },
    { name: 'a cgroup v1 cpuacct of its own', args: ['--cgroup', '--cgroup-hierarchy', 'v1'], method: 'cgroup-v1', available: CGROUP_V1 },
    { name: "no cgroup: the reaped children's times", args: ['--cgroup-hierarchy', 'none'], method: 'rusage', available: true },
  ];
  for (const mode of modes) {
    it.skipIf(!mode.available)(`with ${mode.name}, covers at least 95 % of what the kernel reports for the tree (20 children of ~20 ms)`, async () => {
      const dir = tempDir();
      const timesFile = join(dir, 'times');
      const result = await energyRun([...mode.args, '--json', '-', '--', 'sh', '-c', TREE], { TIMES: timesFile });
      expect(result.code, result.stderr).toBe(0);
      const json = JSON.parse(result.stdout) as RunJson;
      expect(json.accounting.method).toBe(mode.method);
      expect(result.stderr).toContain(`CPU time:   ${mode.method}`);
      const kernel = parseTimes(readFileSync(timesFile, 'utf8'));
      expect(kernel.childrenSeconds).toBeGreaterThan(0.1);
      // What energy-run reports also holds the wrapper's own time, never much more.
      expect(json.cpuSeconds / kernel.childrenSeconds).toBeGreaterThanOrEqual(0.95);
      expect(json.cpuSeconds).toBeLessThanOrEqual((kernel.selfSeconds + kernel.childrenSeconds) * 1.05 + 0.05);
      if (mode.method.startsWith('cgroup')) {
        expect(existsSync(json.accounting.cgroup!)).toBe(false); // removed afterwards
      }
      process.stdout.write(`energy-run ${mode.args.join(' ')}: ${json.cpuSeconds.toFixed(3)} s, kernel RUSAGE_CHILDREN ${kernel.childrenSeconds.toFixed(3)} s: ${((100 * json.cpuSeconds) / kernel.childrenSeconds).toFixed(1)} %\n`);
    });
  }

  // The command kills the wrapper (its parent) with SIGKILL after burning: no report, so the cgroup's usage or else
  // the samples of the process tree are all there is.
  const KILL_WRAPPER = `${BURN.replace('30000', '300000')}; kill -KILL $PPID; sleep 5`;
  it('when the wrapper is killed before it reports: sampling without a cgroup, 128 + 9', async () => {
    const result = await energyRun(['--cgroup-hierarchy', 'none', '--json', '-', '--', 'sh', '-c', KILL_WRAPPER]);
    expect(result.code, result.stderr).toBe(137);
    const json = JSON.parse(result.stdout) as RunJson;
    expect(json.accounting.method).toBe('sampling');
    expect(json.cpuSeconds).toBeGreaterThan(0);
    expect(result.stderr).toContain("the wrapper did not report its children's times");
  });

  it.skipIf(!CGROUP_V1 && !CGROUP_V2)('when the wrapper is killed before it reports: the cgroup still counts', async () => {
    const result = await energyRun(['--cgroup', '--json', '-', '--', 'sh', '-c', KILL_WRAPPER]);
    expect(result.code, result.stderr).toBe(137);
    const json = JSON.parse(result.stdout) as RunJson;
    expect(json.accounting.method).toMatch(/^cgroup-v[12]$/);
    expect(json.cpuSeconds).toBeGreaterThan(0.1);
    expect(existsSync(json.accounting.cgroup!)).toBe(false);
  });

  it.skipIf(CGROUP_V1 || CGROUP_V2)('--cgroup where no cgroup can be made: exits 125 and says why', async () => {
    const result = await energyRun(['--cgroup', '--', 'true']);
    expect(result.code).toBe(125);
    expect(result.stderr).toMatch(/^energy-run: --cgroup: no cgroup of its own could be made/);
  });
});

describe('energy', () => {
  it("the command's share follows its CPU time on a powercap tree driven at a known power", async () => {
    const tree = materializePowercapTree('intel-laptop-psys-symlinks');
    cleanups.push(() => tree.remove());
    const watts = 20;
    const writer = createEnergyWriter({
      sysfsRoot: tree.root,
      zones: tree.tree.expect.zones.map((zone) => ({ id: zone.path, zone: zone.zone, maxEnergyRangeUj: zone.max_energy_range_uj ?? null })),
      tickMs: 10,
      powerWatts: () => watts,
    });
    writer.start();
    cleanups.push(() => writer.stop());
    const result = await energyRun(['--sysfs-root', tree.root, '--json', '-', '--', 'sh', '-c', 'i=0; while [ $i -lt 2000000 ]; do i=$((i+1)); done']);
    expect(result.code, result.stderr).toBe(0);
    const json = JSON.parse(result.stdout) as RunJson;
    const cpuCount = Number(/(\d+) CPUs;/.exec(result.stderr)?.[1]);
    expect(cpuCount).toBeGreaterThan(0);
    expect(json.host.map((zone) => zone.zone)).toEqual(['package_0', 'core', 'uncore', 'dram', 'psys']);
    expect(json.host.every((zone) => zone.source === 'rapl')).toBe(true);
    for (const [i, host] of json.host.entries()) {
      const share = json.attributed[i]!;
      // Every zone is driven at the same power: the host got watts x the run (a little more: the first and last samples
      // lie just outside the command's wall time; the writer ticks on a timer), the command watts x its CPU / CPUs.
      expect(host.joules / (watts * json.wallSeconds)).toBeGreaterThan(0.6);
      expect(host.joules / (watts * json.wallSeconds)).toBeLessThan(1.4);
      expect(share.joules).toBeLessThanOrEqual(host.joules);
      expect(share.joules / ((watts * json.cpuSeconds) / cpuCount)).toBeGreaterThan(0.7);
      expect(share.joules / ((watts * json.cpuSeconds) / cpuCount)).toBeLessThan(1.3);
      expect(share.watts).toBeCloseTo(share.joules / json.wallSeconds, 9);
    }
    expect(result.stderr).toContain('energy:     RAPL, 5 zones under');
    const [host, share] = [json.host[0]!, json.attributed[0]!];
    process.stdout.write(`package_0 at ${watts} W: host ${host.joules.toFixed(3)} J over ${json.wallSeconds.toFixed(3)} s, command ${share.joules.toFixed(3)} J for ${json.cpuSeconds.toFixed(3)} CPU s on ${cpuCount} CPUs (expected ${((watts * json.cpuSeconds) / cpuCount).toFixed(3)} J)\n`);
    expect(result.stderr).toMatch(/J {4}the command's share, rapl package_0 \(package 0\)/);
  });

  it('on a host without any energy source, still runs the command and says so', async () => {
    const tree = materializePowercapTree('no-powercap');
    cleanups.push(() => tree.remove());
    const result = await energyRun(['--sysfs-root', tree.root, '--estimate', 'off', '--json', '-', '--', 'sh', '-c', 'echo ran >&2; exit 4']);
    expect(result.code).toBe(4);
    expect(result.stderr).toMatch(/^ran\n/);
    expect(result.stderr).toContain('no energy source was found: CPU time only');
    expect(JSON.parse(result.stdout)).toMatchObject({ exitCode: 4, host: [], attributed: [] });
  });

  it('without a meter it estimates, and says that it is an estimate', async () => {
    const tree = materializePowercapTree('no-powercap');
    cleanups.push(() => tree.remove());
    const result = await energyRun(['--sysfs-root', tree.root, '--json', '-', '--', 'true']);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('the joules below are an ESTIMATE');
    expect((JSON.parse(result.stdout) as RunJson).host).toEqual([{ source: 'estimate', zone: 'cpu', joules: expect.any(Number) }]);
  });
});

describe('the command', () => {
  it('passes its exit status through, 128 + signal for a signal, 127 for a command that is not there', async () => {
    expect((await energyRun(['--', 'sh', '-c', 'exit 3'])).code).toBe(3);
    expect((await energyRun(['--', 'sh', '-c', 'kill -KILL $$'])).code).toBe(137);
    const missing = await energyRun(['--', 'no-such-command-here']);
    expect(missing.code).toBe(127);
    expect(missing.stderr).toContain('not found');
  });

  it('keeps its standard streams: stdout is the command\'s, the table goes to stderr', async () => {
    const result = await energyRun(['--', 'sh', '-c', 'echo out; echo err >&2']);
    expect(result.stdout).toBe('out\n');
    expect(result.stderr).toMatch(/^err\n\n Energy stats for 'sh -c 'echo out; echo err >&2'':/);
  });

  for (const [signal, code] of [
    ['SIGTERM', 7],
    ['SIGINT', 130],
  ] as const) {
    it(`gets ${signal} sent to energy-run (exit ${code})`, async () => {
      const dir = tempDir();
      const started = join(dir, 'started');
      const got = join(dir, 'got');
      // On TERM the command says so and exits 7; INT it leaves at its default (dies: 128 + 2).
      const script = `trap 'echo TERM > "${got}"; exit 7' TERM; echo $$ > "${started}"; sleep 30 & wait; sleep 30`;
      const child = spawnGroup(process.execPath, [ENTRY, '--', 'sh', '-c', script], { env: { ...process.env, ENERGY_RUN_NVIDIA_SMI: 'off' } });
      child.stdout!.resume();
      child.stderr!.resume();
      const exited = new Promise<number | null>((resolve) => child.once('exit', (exitCode) => resolve(exitCode)));
      cleanups.push(() => void (child.exitCode === null && child.kill('SIGKILL')));
      await until(() => existsSync(started) && readFileSync(started, 'utf8').endsWith('\n'), 10_000);
      process.kill(child.pid!, signal); // energy-run alone, not its group: it must pass the signal on
      expect(await exited).toBe(code);
      if (signal === 'SIGTERM') expect(readFileSync(got, 'utf8')).toBe('TERM\n');
    });
  }
});

describe('command line', () => {
  it('a bad flag exits 2 with one line', async () => {
    const result = await energyRun(['--bogus', '--', 'true']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('energy-run: --bogus: unknown flag (see --help)\n');
  });

  it('--help and --version', async () => {
    expect((await energyRun(['--help'])).stdout).toContain('usage: energy-run [flags] [--] CMD ARGS...');
    expect((await energyRun(['--version'])).stdout).toMatch(/^energy-run \d+\.\d+\.\d+ \(typescript, node /);
  });

  it('--json FILE writes the documented shape', async () => {
    const file = join(tempDir(), 'run.json');
    const result = await energyRun(['--json', file, '--', 'sh', '-c', 'exit 0']);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('');
    const json = JSON.parse(readFileSync(file, 'utf8')) as RunJson;
    expect(Object.keys(json)).toEqual(expect.arrayContaining(['command', 'exitCode', 'wallSeconds', 'cpuSeconds', 'accounting', 'host', 'attributed', 'gpus']));
    expect(json.command).toEqual(['sh', '-c', 'exit 0']);
    expect(typeof json.wallSeconds).toBe('number');
    expect(typeof json.cpuSeconds).toBe('number');
    expect(json.gpus).toEqual([]);
  });
});

/** The pids of live processes whose environment holds `entry` (KEY=value). */
function processesWithEnv(entry: string): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(entry);
      } catch {
        return false; // ended, or not ours to read
      }
    })
    .map(Number);
}

describe('GPU (fake nvidia-smi replaying 5 ffmpeg processes)', () => {
  const gpuRun = (env: Record<string, string>, script: string) =>
    energyRun(['--json', '-', '--', 'sh', '-c', script], { ENERGY_RUN_NVIDIA_SMI: FAKE_NVIDIA_SMI, FAKE_NVIDIA_SMI_PMON_DELAY_MS: '200', ...env });

  it("gives the command the share of the pmon rows with its pid, and reports each GPU's energy", async () => {
    const pids = join(tempDir(), 'pids');
    // The command tells the fake to report it in place of the capture's pid 7372.
    const result = await gpuRun({ FAKE_NVIDIA_SMI_PMON_PIDS_FILE: pids }, `echo "7372 $$" > "${pids}"; sleep 1.5`);
    expect(result.code, result.stderr).toBe(0);
    const [gpu, ...others] = (JSON.parse(result.stdout) as RunJson).gpus;
    expect(others).toEqual([]);
    expect(gpu).toMatchObject({ gpu_id: '0', gpu_uuid: expect.stringMatching(/^GPU-/) });
    expect(gpu!.joules).toBeGreaterThan(0);
    expect(gpu!.attributed_joules).toBeGreaterThan(0);
    expect(gpu!.attributed_joules).toBeLessThan(gpu!.joules); // the 4 other ffmpeg processes keep theirs
    expect(result.stderr).toMatch(/J {4}the command's share, GPU 0 /);
    // Both nvidia-smi children are gone with energy-run: no process left has this run's pid file in its environment.
    expect(processesWithEnv(`FAKE_NVIDIA_SMI_PMON_PIDS_FILE=${pids}`)).toEqual([]);
  });

  it('gives nothing to a command pmon does not report', async () => {
    const result = await gpuRun({}, 'sleep 1');
    expect(result.code, result.stderr).toBe(0);
    const [gpu] = (JSON.parse(result.stdout) as RunJson).gpus;
    expect(gpu!.joules).toBeGreaterThan(0);
    expect(gpu!.attributed_joules).toBe(0);
  });

  it('without nvidia-smi there is no GPU part, and the table says why', async () => {
    const result = await energyRun(['--json', '-', '--', 'true'], { ENERGY_RUN_NVIDIA_SMI: '/nonexistent/nvidia-smi' });
    expect(result.code).toBe(0);
    expect((JSON.parse(result.stdout) as RunJson).gpus).toEqual([]);
    expect(result.stderr).toContain('GPU:        none (/nonexistent/nvidia-smi not found (ENOENT))');
  });
});
