import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { Arch } from './targets.js';

/** The sysroot qemu needs to run a dynamically linked arm64 executable on an x64 host (libc6-arm64-cross). */
export const ARM64_SYSROOT = '/usr/aarch64-linux-gnu';

/** How to run an executable built for `arch` on this host: directly, or under qemu user-mode emulation. */
export type Launcher = { readonly ok: true; readonly prefix: readonly string[] } | { readonly ok: false; readonly reason: string };

/** The launcher for `arch` here; not ok (with the reason) when the arch is foreign and qemu is missing. */
export function launcherFor(arch: Arch, hostArch: string = process.arch): Launcher {
  if (arch === hostArch) return { ok: true, prefix: [] };
  if (arch !== 'arm64') return { ok: false, reason: `no emulator wired up for ${arch} executables on a ${hostArch} host` };
  const qemu = findOnPath('qemu-aarch64-static');
  if (qemu === undefined) return { ok: false, reason: 'qemu-aarch64-static is not on PATH (Debian package qemu-user-static; tools/setup.sh installs it)' };
  if (!existsSync(join(ARM64_SYSROOT, 'lib', 'ld-linux-aarch64.so.1'))) {
    return { ok: false, reason: `${ARM64_SYSROOT}/lib/ld-linux-aarch64.so.1 is missing (Debian packages libc6-arm64-cross and libstdc++6-arm64-cross; tools/setup.sh installs them)` };
  }
  return { ok: true, prefix: [qemu, '-L', ARM64_SYSROOT] };
}

function findOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir !== '' && existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}
