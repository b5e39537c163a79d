import { spawn, type ChildProcess } from 'node:child_process';
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

/** How a command ended. */
export interface Exited {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Options for a command: its working directory and its whole environment (nothing is inherited). */
export interface CommandOptions {
  readonly cwd: string;
  readonly env: Record<string, string>;
}

/** Runs `command...` to completion. */
export function runToExit(command: readonly string[], options: CommandOptions): Promise<Exited> {
  const child = spawnCommand(command, options, false);
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** An exporter started as a child process. */
export interface RunningServer {
  /** `http://127.0.0.1:PORT`, from the exporter's logfmt `msg=listening address=...` line. */
  readonly url: string;
  /** Milliseconds from spawn to the listening line. */
  readonly listeningMs: number;
  readonly startedAt: number;
  stderr(): string;
  /** SIGTERM (or `signal`) to its process group; resolves with how it ended. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `command...` (an exporter given `--port 0`) in its own process group and waits for its listening line. */
export function startServer(command: readonly string[], options: CommandOptions & { readonly timeoutMs: number }): Promise<RunningServer> {
  const startedAt = performance.now();
  const child = spawnCommand(command, options, true);
  let stderr = '';
  child.stdout!.resume();
  child.stderr!.setEncoding('utf8');
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      killGroup(child, 'SIGKILL');
      reject(new Error(`${command.join(' ')}: no listening line within ${options.timeoutMs} ms; stderr:\n${stderr}`));
    }, options.timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`${command.join(' ')}: exited (code ${code}, signal ${signal}) before listening; stderr:\n${stderr}`));
    });
    let listening = false;
    child.stderr!.on('data', (chunk: string) => {
      stderr += chunk;
      const match = /msg=listening address=http:\/\/[^\s]+:(\d+)/.exec(stderr);
      if (listening || !match) return;
      listening = true;
      clearTimeout(timer);
      resolve({
        url: `http://127.0.0.1:${match[1]}`,
        listeningMs: performance.now() - startedAt,
        startedAt,
        stderr: () => stderr,
        async stop(signal = 'SIGTERM') {
          if (child.exitCode === null && child.signalCode === null) killGroup(child, signal);
          const result = await exited;
          killGroup(child, 'SIGKILL'); // anything left in the group
          return result;
        },
      });
    });
  });
}

function spawnCommand(command: readonly string[], options: CommandOptions, detached: boolean): ChildProcess {
  const [file, ...args] = command;
  if (file === undefined) throw new Error('empty command');
  return spawn(file, args, { cwd: options.cwd, env: options.env, detached, stdio: ['ignore', 'pipe', 'pipe'] });
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}
