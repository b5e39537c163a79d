// There is no Docker engine here, so each Dockerfile's build stage is replayed without one: the context (this
// working tree less .dockerignore) is copied into a scratch root, and the stage's ARG, ENV, WORKDIR, COPY and RUN
// instructions are carried out in order there, with absolute paths moved under the scratch root and TARGETARCH
// set to the architecture this host is NOT, as a cross-building `docker buildx --platform` would. What the final
// stage copies out of it must then exist and run. This checks the commands themselves (pnpm flags, filters, the
// builder's arguments, file names), not the base images: the node image is assumed to carry this same Node.
import { execFile, execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { dockerignoreMatcher, globalArgs, parseDockerfile, stages } from '../src/dockerfile.js';
import { runCommand } from '@proj/fixtures';
import { launcherFor } from '../src/exec.js';
import { binaryName, EXPORTER_APPS, parseArch, repoRoot } from '../src/targets.js';

const run = promisify(execFile);
const foreignArch = process.arch === 'arm64' ? 'amd64' : 'arm64';
const scratch = mkdtempSync(join(tmpdir(), 'docker-build-stage-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The build context: files git sees in this working tree (tracked, or untracked and not ignored), less .dockerignore. */
function contextFiles(): string[] {
  const ignored = dockerignoreMatcher(readFileSync(join(repoRoot, '.dockerignore'), 'utf8'));
  return execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: repoRoot, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
    .split('\0')
    .filter((file) => file !== '' && !ignored(file) && existsSync(join(repoRoot, file)));
}

describe.each(EXPORTER_APPS)('apps/%s/Dockerfile', (app) => {
  it(`build stage, replayed for TARGETARCH=${foreignArch}, makes the binary the image copies, and it runs`, async () => {
    const text = readFileSync(join(repoRoot, 'apps', app, 'Dockerfile'), 'utf8');
    const instructions = parseDockerfile(text);
    const [build, final] = stages(instructions);
    const root = mkdtempSync(join(scratch, `${app}-`)); // stands for the build stage's /
    const inRoot = (path: string) => join(root, path);
    const vars = new Map<string, string>([...globalArgs(instructions)]);
    const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root' };
    let workdir = '/';
    const pnpmVersion = execFileSync('pnpm', ['--version'], { encoding: 'utf8' }).trim();

    for (const { keyword, args } of build!.slice(1)) {
      if (keyword === 'ARG') {
        const [name, value] = args.split('=', 2) as [string, string | undefined];
        env[name] = name === 'TARGETARCH' ? foreignArch : (value ?? vars.get(name) ?? '');
        vars.set(name, env[name]);
      } else if (keyword === 'ENV') {
        for (const pair of args.split(' ')) {
          const [name, value] = pair.split('=', 2) as [string, string];
          env[name] = value;
        }
      } else if (keyword === 'WORKDIR') {
        workdir = args;
        mkdirSync(inRoot(workdir), { recursive: true });
      } else if (keyword === 'COPY') {
        const parts = args.split(' ');
        const dest = inRoot(join(workdir, parts.pop()!));
        const sources = parts[0] === '.' ? contextFiles() : parts;
        for (const file of sources) {
          mkdirSync(dirname(join(dest, file)), { recursive: true });
          copyFileSync(join(repoRoot, file), join(dest, file));
        }
      } else if (keyword === 'RUN') {
        // The image installs pnpm itself; here the same version must already be the one on PATH.
        const pnpmInstall = /^npm install --global "?pnpm@([^"\s]+)"?$/.exec(args);
        if (pnpmInstall) {
          expect(pnpmInstall[1]!.replace(/\$\{(\w+)\}/g, (_w, name: string) => env[name] ?? '')).toBe(pnpmVersion);
          continue;
        }
        const command = args.replace(/(^|[\s"'=])\/(?=[\w.])/g, `$1${root}/`);
        await run('sh', ['-ec', command], { cwd: inRoot(workdir), env, maxBuffer: 64 * 1024 * 1024 }).catch((error: { stdout?: string; stderr?: string }) => {
          throw new Error(`RUN ${args}\nfailed:\n${error.stdout ?? ''}${error.stderr ?? ''}`);
        });
      } else {
        throw new Error(`the replay does not handle ${keyword} in a build stage; extend it`);
      }
    }

    const copy = final!.find((i) => i.keyword === 'COPY' && i.args.startsWith('--from=build '));
    const source = copy!.args.split(' ')[1]!;
    expect(source).toBe(`/out/${binaryName(app)}`);
    expect(statSync(inRoot(source)).mode & 0o111).not.toBe(0);

    const launcher = launcherFor(parseArch(foreignArch));
    if (!launcher.ok) {
      if (process.env.SKIP_QEMU_SMOKE === '1') return; // chosen on purpose; binaries.test.ts explains the policy
      throw new Error(`cannot run the ${foreignArch} binary here: ${launcher.reason}`);
    }
    const result = await runCommand([...launcher.prefix, inRoot(source), '--version'], { cwd: root, env: {}, cleanEnv: true });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`linux/${parseArch(foreignArch)}`);
  }, 300_000);
});
