// No Docker engine runs here, so the images cannot be built in the tests. What can be checked is checked:
// dockerfile-utils' validator (instruction syntax, flags, durations, arguments), and the contract the seed,
// infra/compose and the README rely on, read from each Dockerfile: a build stage on BUILDPLATFORM that builds
// for TARGETARCH with this repository's builder, the binary at /app/<binary>, the user, port, stop signal,
// self-probing HEALTHCHECK and labels. The HEALTHCHECK command itself is run for real against each binary in
// binaries.test.ts (with the port from the same environment variable the image sets).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validate } from 'dockerfile-utils';
import { describe, expect, it } from 'vitest';
import { globalArgs, parseDockerfile, stages, type Instruction } from '../src/dockerfile.js';
import { NODE_PACKAGE_INTEGRITY } from '../src/node-binary.js';
import { binaryName, EXPORTER_APPS, repoRoot } from '../src/targets.js';

/** What each image must be, per app. */
const IMAGES: Readonly<Record<string, { port: number; root: boolean }>> = {
  'cpu-exporter': { port: 9510, root: true }, // energy_uj is root-only (CVE-2020-8694)
  'gpu-exporter': { port: 9511, root: false },
};

describe.each(EXPORTER_APPS)('apps/%s/Dockerfile', (app) => {
  const file = join(repoRoot, 'apps', app, 'Dockerfile');
  const text = readFileSync(file, 'utf8');
  const instructions = parseDockerfile(text);
  const args = globalArgs(instructions);
  const [build, final] = stages(instructions);
  const binary = binaryName(app);
  const image = IMAGES[app]!;
  const find = (stage: Instruction[] | undefined, keyword: string) => (stage ?? []).filter((i) => i.keyword === keyword).map((i) => i.args);
  const resolveArgs = (value: string) => value.replace(/\$\{?(\w+)\}?/g, (whole, name: string) => args.get(name) ?? whole);

  it('passes dockerfile-utils validation with no error or warning', () => {
    const diagnostics = validate(text).map((d) => `line ${d.range.start.line + 1}: ${d.message}`);
    expect(diagnostics).toEqual([]);
  });

  it('has two stages: a build stage on BUILDPLATFORM, and the image', () => {
    expect(stages(instructions)).toHaveLength(2);
    expect(find(build, 'FROM')[0]).toMatch(/^--platform=\$BUILDPLATFORM \S+ AS build$/);
  });

  it('pins every base image by an explicit tag, and the build stage by the exact Node version the builder pins', () => {
    const bases = instructions.filter((i) => i.keyword === 'FROM').map((i) => resolveArgs(i.args.replace(/^--platform=\S+ /, '').split(' ')[0]!));
    for (const base of bases) expect(base).toMatch(/^[\w./-]+(:[\w.-]+|@sha256:[0-9a-f]{64})$/);
    const nodeVersion = /^node:(\d+\.\d+\.\d+)-/.exec(bases[0]!)?.[1];
    expect(nodeVersion, `the build stage must be node:<x.y.z>-..., not ${bases[0]}`).toBeDefined();
    // The builder injects into node-linux-<other arch>@<this Node>; it refuses a version it has no pin for.
    for (const arch of ['x64', 'arm64']) expect(NODE_PACKAGE_INTEGRITY[`node-linux-${arch}@${nodeVersion}`]).toBeDefined();
  });

  it('installs from the lockfile and builds this app for TARGETARCH with tools/release', () => {
    expect(find(build, 'ARG')).toContain('TARGETARCH');
    const runs = find(build, 'RUN').join('\n');
    expect(runs).toMatch(/pnpm install --frozen-lockfile/);
    expect(runs).toContain(`node tools/release/dist/cli.js --app ${app} --arch "\${TARGETARCH}"`);
    expect(runs).toContain(`${binary}-linux-*`);
  });

  it(`puts the binary at /app/${binary} and runs it as the entrypoint`, () => {
    expect(find(final, 'COPY')).toContain(`--from=build /out/${binary} /app/${binary}`);
    expect(find(final, 'ENTRYPOINT')).toEqual([`["/app/${binary}"]`]);
  });

  it(`runs as ${image.root ? 'root (RAPL energy_uj is root-only), said so in a comment' : 'a non-root user'}`, () => {
    const user = find(final, 'USER');
    expect(user).toHaveLength(1);
    const uid = user[0]!.split(':')[0]!;
    if (image.root) {
      expect(['0', 'root']).toContain(uid);
      expect(text).toMatch(/CVE-2020-8694/);
    } else {
      expect(['0', 'root']).not.toContain(uid);
    }
  });

  it(`exposes ${image.port}, stops on SIGTERM, and health-checks itself on the port it listens on`, () => {
    expect(find(final, 'EXPOSE')).toEqual([String(image.port)]);
    expect(find(final, 'STOPSIGNAL')).toEqual(['SIGTERM']);
    expect(find(final, 'ENV').join(' ')).toContain(`${binary.toUpperCase()}_PORT=${image.port}`);
    // V8's young generation capped (the single binary honours NODE_OPTIONS): peak RSS 98 -> 70 MB under load.
    expect(find(final, 'ENV').join(' ')).toContain('NODE_OPTIONS=--max-semi-space-size=1');
    const healthcheck = find(final, 'HEALTHCHECK');
    expect(healthcheck).toHaveLength(1);
    expect(healthcheck[0]).toMatch(new RegExp(`CMD \\["/app/${binary}", "--healthcheck"\\]$`));
  });

  it('carries the OCI labels', () => {
    const labels = find(final, 'LABEL').join(' ');
    for (const key of ['title', 'description', 'version', 'licenses']) expect(labels).toContain(`org.opencontainers.image.${key}=`);
    expect(labels).toContain('org.opencontainers.image.licenses="Apache-2.0"');
  });
});

describe('.dockerignore', () => {
  const lines = readFileSync(join(repoRoot, '.dockerignore'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));

  it("keeps the host's installs and builds out of the context", () => {
    for (const pattern of ['.git', '**/node_modules', '**/dist', '.nx']) expect(lines).toContain(pattern);
  });

  it('keeps in what the build stage needs', () => {
    const needed = ['pnpm-lock.yaml', 'pnpm-workspace.yaml', '.npmrc', 'package.json', 'apps', 'packages', 'tools', 'tsconfig.base.json'];
    for (const line of lines) {
      const top = line.replace(/^\//, '').split('/')[0]!;
      expect(needed, `.dockerignore line "${line}" would drop something the build needs`).not.toContain(top);
    }
  });
});
