// The libraries as a user gets them: each is packed with `pnpm pack` (what `pnpm publish` uploads), checked by
// publint and @arethetypeswrong/cli, and installed with npm from the tarball, with its real dependencies (and
// metrics-core's peer dependencies) from the npm registry, into a scratch project outside the workspace. There,
// the README's example runs as written (example.mjs) and as CommonJS derived from it (example.cjs), and must
// finish by itself.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify, stripVTControlCharacters } from 'node:util';
import { materializeHwmonTree, materializePowercapTree, type MaterializedHwmonTree, type MaterializedTree } from '@proj/fixtures';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractExample, toCommonJs } from '../src/readme-example.js';
import { repoRoot } from '../src/targets.js';

const run = promisify(execFile);
const bin = (name: string) => join(repoRoot, 'node_modules', '.bin', name);

/** The published libraries, and how to run and judge each README example. */
const LIBRARIES: ReadonlyArray<{ dir: string; name: string; env: (tree: MaterializedTree) => Record<string, string>; expectOutput: RegExp[] }> = [
  {
    dir: 'packages/rapl-reader',
    name: '@proj/rapl-reader',
    // 5 zones, three samples after the baseline: 15 power lines.
    env: (tree) => ({ SYSFS_ROOT: tree.root }),
    expectOutput: [/^(?:.*: \d+\.\d\d W, \d+\.\d{3} J so far\n){15}$/],
  },
  {
    dir: 'packages/metrics-core',
    name: '@proj/metrics-core',
    env: () => ({ ONCE: '1', PORT: '0' }),
    expectOutput: [/^load_average_1m \d/m, /^load_exporter_info\{.*\} 1$/m],
  },
  {
    dir: 'packages/nvsmi-parser',
    name: '@proj/nvsmi-parser',
    // As its README says: the repository's fake nvidia-smi stands in for a GPU. Three ticks, at least one GPU each.
    env: () => ({ NVIDIA_SMI: join(repoRoot, 'tools', 'fake-nvidia-smi', 'nvidia-smi') }),
    expectOutput: [/^GPU 0 .+: [\d.]+ W, /m, /^(?:GPU \d+ .*\n)+$/],
  },
  {
    dir: 'packages/subprocess',
    name: '@proj/subprocess',
    // One run with a limit, then a supervised ticker stopped after a second.
    env: () => ({}),
    expectOutput: [/^exited hello\nstopped\n$/],
  },
  {
    dir: 'packages/web-config',
    name: '@proj/web-config',
    // Basic auth with exporter-toolkit's alice vector, a configured header, and a broken file refused on reload.
    env: () => ({}),
    expectOutput: [/^no credentials: 401 Basic$/m, /^alice: 200 up 1 \(nosniff\)$/m, /^reload: \S*web\.yml: line 2: basic_auth_users\.alice: not a bcrypt hash/m],
  },
  {
    dir: 'packages/hwmon-reader',
    name: '@proj/hwmon-reader',
    // The zenergy laptop tree: its socket counter found as package_0, then three samples with power from energy.
    env: () => ({ SYSFS_ROOT: hwmonTree.root }),
    expectOutput: [/^found zenergy energy7 "Esocket0" \(CPU package_0\)$/m, /^zenergy energy7 "Esocket0": 13260\.00 J, 0\.00 W$/m, /(?:^amdgpu power1 "PPT": 13\.00 W$[^]*){3}/m],
  },
  {
    dir: 'packages/ipmi-parser',
    name: '@proj/ipmi-parser',
    // As its README says: the repository's fake ipmitool stands in for a BMC (197 W, activated). Three readings.
    env: () => ({ IPMITOOL: join(repoRoot, 'tools', 'fake-ipmitool', 'ipmitool') }),
    expectOutput: [/^(?:197 W now, 190 W average \(activated\)\n){3}$/],
  },
  {
    dir: 'packages/power-estimate',
    name: '@proj/power-estimate',
    env: () => ({ TDP_WATTS: '65' }),
    expectOutput: [/^ccf_linear: Cloud Carbon Footprint linear model: \d+ vCPUs/m, /^ {2}100 % busy: 66\.30 W$/m],
  },
  {
    dir: 'packages/proc-reader',
    name: '@proj/proc-reader',
    // This machine's own /proc and /sys/fs/cgroup: the host line, the five busiest processes, the cgroup layout.
    env: () => ({}),
    expectOutput: [/^host: \d+ CPUs, \d+\.\d % busy$/m, /^\d+ processes, \d+ ended mid-scan, \d+ unreadable$/m, /^cgroups: (?:v2|v1|hybrid|none)/m],
  },
  {
    dir: 'packages/kernel-files',
    name: '@proj/kernel-files',
    // This machine's kernel release, then a missing powercap zone reported as not_found.
    env: () => ({}),
    expectOutput: [/^kernel \S+$/m, /^no-such-zone: ENOENT -> not_found$/m],
  },
  {
    dir: 'packages/attribution',
    name: '@proj/attribution',
    // Pure arithmetic on the README's three ticks: exactly the output the README shows.
    env: () => ({}),
    expectOutput: [/^package_0: 30 J = 18\.75 active \+ 11\.25 idle; 10:9000 7\.50 J, 11:9100 6\.00 J\npackage_0: 34 J = 25\.50 active \+ 8\.50 idle; 10:9000 8\.50 J, 12:10150 5\.10 J\nended: 11:9100\ncontainer web: 22\.00 J\n$/],
  },
];

const scratch = mkdtempSync(join(tmpdir(), 'pack-install-'));
const tarballs = new Map<string, string>();
let tree: MaterializedTree;
let hwmonTree: MaterializedHwmonTree;

beforeAll(async () => {
  tree = materializePowercapTree('intel-laptop-psys-symlinks');
  hwmonTree = materializeHwmonTree('zenergy-ryzen-laptop');
  const packDir = join(scratch, 'tarballs');
  const peers: string[] = [];
  for (const library of LIBRARIES) {
    const before = new Set(safeReaddir(packDir));
    await run('pnpm', ['pack', '--pack-destination', packDir], { cwd: join(repoRoot, library.dir) });
    const made = safeReaddir(packDir).find((file) => file.endsWith('.tgz') && !before.has(file));
    if (made === undefined) throw new Error(`pnpm pack wrote no tarball for ${library.name}`);
    tarballs.set(library.name, join(packDir, made));
    const manifest = JSON.parse(readFileSync(join(repoRoot, library.dir, 'package.json'), 'utf8')) as { peerDependencies?: Record<string, string> };
    for (const [peer, range] of Object.entries(manifest.peerDependencies ?? {})) peers.push(`${peer}@${range}`);
  }
  const project = join(scratch, 'project');
  mkdirSync(project, { recursive: true });
  writeFileSync(join(project, 'package.json'), `${JSON.stringify({ name: 'scratch', private: true }, null, 2)}\n`);
  await run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...tarballs.values(), ...peers], { cwd: project, maxBuffer: 16 * 1024 * 1024 });
}, 180_000);

afterAll(() => {
  tree?.remove();
  hwmonTree?.remove();
  rmSync(scratch, { recursive: true, force: true });
});

describe.each(LIBRARIES)('$name', (library) => {
  it('passes publint --strict on the packed tarball', async () => {
    const result = await run(bin('publint'), ['run', tarballs.get(library.name)!, '--strict'], { cwd: scratch }).catch((error: { stdout: string; stderr: string }) => error);
    expect(`${result.stdout}${result.stderr}`).toContain('All good!');
  });

  it('passes @arethetypeswrong/cli on the packed tarball (node10, node16 CJS and ESM, bundler)', async () => {
    const result = await run(bin('attw'), [tarballs.get(library.name)!, '--format', 'ascii', '--no-color'], { cwd: scratch }).then(
      (ok) => ({ code: 0, output: ok.stdout + ok.stderr }),
      (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, output: error.stdout + error.stderr }),
    );
    expect(result.output).toContain('No problems found');
    expect(result.code).toBe(0);
  });

  for (const format of ['mjs', 'cjs'] as const) {
    it(`runs the README example from ${format === 'mjs' ? 'ESM' : 'CommonJS'}, installed from the tarball, to its end`, async () => {
      const readme = readFileSync(join(repoRoot, library.dir, 'README.md'), 'utf8');
      const example = extractExample(readme);
      expect(example, `${library.dir}/README.md has no \`\`\`js example`).toBeDefined();
      const file = join(scratch, 'project', `${library.name.split('/')[1]}-example.${format}`);
      writeFileSync(file, format === 'mjs' ? example! : toCommonJs(example!));
      const { stdout } = await run(process.execPath, [file], {
        cwd: join(scratch, 'project'),
        env: { PATH: process.env.PATH ?? '', ...library.env(tree) },
        timeout: 20_000,
        killSignal: 'SIGKILL',
      });
      for (const pattern of library.expectOutput) expect(stdout).toMatch(pattern);
    });
  }
});

/** The packages named in the front matter of the pending changesets (`.changeset/*.md`), sorted, each once. */
function pendingChangesetPackages(): string[] {
  const dir = join(repoRoot, '.changeset');
  const names = new Set<string>();
  for (const file of safeReaddir(dir).filter((f) => f.endsWith('.md') && f !== 'README.md')) {
    const front = /^---\n([^]*?)\n---/.exec(readFileSync(join(dir, file), 'utf8'))?.[1] ?? '';
    for (const match of front.matchAll(/^["']?(@?[^"':\s]+)["']?\s*:\s*(?:major|minor|patch)\s*$/gm)) names.add(match[1]!);
  }
  return [...names].sort();
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

describe('changesets', () => {
  it('`changeset status` works and would release only the published libraries', async () => {
    // Under nx, FORCE_COLOR is set; the names are read from plain text.
    const { stdout, stderr } = await run(bin('changeset'), ['status'], { cwd: repoRoot, env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' } });
    const released = [...stripVTControlCharacters(`${stdout}${stderr}`).matchAll(/^🦋 {2}- (\S+)$/gmu)].map((match) => match[1]!).sort();
    // Exactly the packages the pending changesets name (the loop below alone would pass on an empty list).
    expect(released).toEqual(pendingChangesetPackages());
    for (const name of released) expect(LIBRARIES.map((library) => library.name)).toContain(name);
  });

  it('the libraries are public and everything else in the workspace is private', () => {
    const dirs = ['apps', 'packages', 'tools'].flatMap((top) => safeReaddir(join(repoRoot, top)).map((name) => join(top, name)));
    const seen: string[] = [];
    for (const dir of dirs) {
      let manifest: { name: string; private?: boolean; publishConfig?: { access?: string } };
      try {
        manifest = JSON.parse(readFileSync(join(repoRoot, dir, 'package.json'), 'utf8')) as typeof manifest;
      } catch {
        continue; // not a package (yet)
      }
      const published = LIBRARIES.some((library) => library.name === manifest.name);
      expect(manifest.private === true, `${dir} private`).toBe(!published);
      if (published) expect(manifest.publishConfig?.access, `${dir} publishConfig.access`).toBe('public');
      seen.push(manifest.name);
    }
    // Every library was found among the workspace's packages, and so checked above.
    expect(LIBRARIES.map((library) => library.name).filter((name) => !seen.includes(name))).toEqual([]);
  });
});
