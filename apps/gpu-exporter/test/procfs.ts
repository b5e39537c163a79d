// A procfs root for the pmon tests: some of the datarhei capture's pids as they would look in /proc. Each file is a
// real capture (tools/fixtures/proc) with only the pid and comm changed to the pmon process's.
import { loadProcCapture } from '@proj/fixtures';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The container of pid 7372 in the tree: the Kepler capture's docker scope. */
export const DOCKER_CONTAINER_ID = 'b176419186d75a44628851daf7841d3374a2ec56d0b038ee3bd1e0c6d331e5b1';

/** One process in the tree: its pid, comm, and which cgroup capture it is in. */
export interface TreeProcess {
  readonly pid: number;
  readonly comm: string;
  readonly cgroup: 'docker' | 'host-session';
}

/** The default tree: 7372 ffmpeg in docker, 12176 ffmpeg on the host, 20035 a bash (the pid means another process here). */
export const PMON_PIDS_TREE: readonly TreeProcess[] = [
  { pid: 7372, comm: 'ffmpeg', cgroup: 'docker' },
  { pid: 12176, comm: 'ffmpeg', cgroup: 'host-session' },
  { pid: 20035, comm: 'bash', cgroup: 'host-session' },
];

/** Writes `<root>/<pid>/stat` and `<root>/<pid>/cgroup` for each process into a new temporary directory. */
export function writeProcfsTree(processes: readonly TreeProcess[] = PMON_PIDS_TREE): { root: string; remove(): void } {
  const root = mkdtempSync(join(tmpdir(), 'pmon-procfs-'));
  const stat = loadProcCapture('stat', 'procfs__pid-stat-vim-R-state').text;
  const cgroups = {
    docker: loadProcCapture('cgroup', 'kepler__cgroup-v2-docker-systemd-scope-prometheus').text,
    'host-session': loadProcCapture('cgroup', 'erlang-otp-7928__cgroup-v2-systemd-user-session-scope').text,
  };
  for (const p of processes) {
    mkdirSync(join(root, String(p.pid)));
    writeFileSync(join(root, String(p.pid), 'stat'), stat.replace(/^26231 \(vim\)/, `${p.pid} (${p.comm})`));
    writeFileSync(join(root, String(p.pid), 'cgroup'), cgroups[p.cgroup]);
  }
  return { root, remove: () => rmSync(root, { recursive: true, force: true }) };
}
