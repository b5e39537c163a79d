import { ProcParseError } from './errors.js';

/** One line of `/proc/<pid>/cgroup`: `hierarchy-id:controllers:path` (v2's line is `0::/path`). */
export interface CgroupLine {
  readonly hierarchyId: number;
  /** `['cpu', 'cpuacct']`, `['name=systemd']`, or `[]` for the v2 line. */
  readonly controllers: readonly string[];
  /** The cgroup path relative to the hierarchy's root; may itself hold `:` (`...slice:cri-containerd:<id>`). */
  readonly path: string;
}

/** Who runs a container, as its cgroup path says. `kubepods` when a Kubernetes pod's path names no runtime. */
export type ContainerRuntime = 'docker' | 'containerd' | 'cri-o' | 'podman' | 'kubepods' | 'lxc';

/** The container a cgroup path belongs to; all null for a process in no container. */
export interface CgroupClassification {
  /** 64 hex digits for docker, containerd, cri-o, podman and Kubernetes; the container's name for LXC. */
  readonly containerId: string | null;
  readonly runtime: ContainerRuntime | null;
  /** A Kubernetes pod's uid with dashes (systemd-driver slices write `_`, turned into `-` here). */
  readonly podUid: string | null;
}

/** A process's cgroup membership: its container, and the paths CPU accounting is read under. */
export interface ProcessCgroup extends CgroupClassification {
  /** The path of the v2 (`0::`) line, or null when there is none. */
  readonly unifiedPath: string | null;
  /** The path in the v1 hierarchy holding cpuacct, or null when there is none. */
  readonly cpuacctPath: string | null;
}

/** Parses `/proc/<pid>/cgroup` (v1 lines, the v2 `0::` line, or both on a hybrid host). Blank lines are skipped. */
export function parseProcCgroup(text: string, file = '/proc/self/cgroup'): CgroupLine[] {
  const lines: CgroupLine[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    if (line === '') continue;
    const first = line.indexOf(':');
    const second = first < 0 ? -1 : line.indexOf(':', first + 1);
    if (second < 0) throw new ProcParseError(file, line, 'not "id:controllers:path"');
    const id = line.slice(0, first);
    if (!/^\d+$/.test(id)) throw new ProcParseError(file, line, 'the hierarchy id is not a number');
    const controllers = line.slice(first + 1, second);
    const path = line.slice(second + 1);
    if (!path.startsWith('/')) throw new ProcParseError(file, line, 'the path is not absolute');
    lines.push({ hierarchyId: Number(id), controllers: controllers === '' ? [] : controllers.split(','), path });
  }
  return lines;
}

const NONE: CgroupClassification = { containerId: null, runtime: null, podUid: null };
const HEX64 = '[0-9a-f]{64}';
const PREFIXED = new RegExp(`^(docker|cri-containerd|crio|libpod)-(${HEX64})(?:\\.scope)?$`);
// The systemd driver's cgroupsPath form that cgroup v1 shows verbatim: `<slice>:<prefix>:<id>`.
const COLON_FORM = new RegExp(`:(docker|cri-containerd|crio):(${HEX64})$`);
const BARE = new RegExp(`^${HEX64}$`);
const POD = /pod([0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12})(?:\.slice)?(?::|$)/;
const RUNTIME_OF_PREFIX: Record<string, ContainerRuntime> = { docker: 'docker', 'cri-containerd': 'containerd', crio: 'cri-o', libpod: 'podman' };

/**
 * Classifies one cgroup path from the shapes runtimes write: `docker-<id>.scope` and `/docker/<id>` (systemd and
 * cgroupfs drivers), `cri-containerd-<id>.scope` and `<pod>.slice:cri-containerd:<id>`, `crio-<id>.scope`,
 * `libpod-<id>.scope` and `/libpod_parent/libpod-<id>`, `/kubepods/<qos>/pod<uid>/<id>`, `/lxc.payload/<name>`,
 * `/lxc.payload.<name>` and `/lxc/<name>`. The innermost container wins (docker in docker). Monitors
 * (`crio-conmon-<id>`, `libpod-conmon-<id>`, `/lxc.monitor/...`) are not containers. Pure.
 */
export function classifyCgroupPath(path: string): CgroupClassification {
  const segments = path.split('/').filter((segment) => segment !== '');
  for (let index = segments.length - 1; index >= 0; index--) {
    const segment = segments[index]!;
    const parent = segments[index - 1];
    let containerId: string | undefined;
    let runtime: ContainerRuntime | undefined;
    const prefixed = PREFIXED.exec(segment) ?? COLON_FORM.exec(segment);
    if (prefixed) {
      containerId = prefixed[2]!;
      runtime = RUNTIME_OF_PREFIX[prefixed[1]!]!;
    } else if (BARE.test(segment) && parent !== undefined) {
      containerId = segment;
      if (parent === 'docker') runtime = 'docker';
      else if (parent === 'libpod_parent') runtime = 'podman';
      else if (segments.slice(0, index).some((above) => above.startsWith('kubepods') || POD.test(above))) runtime = 'kubepods';
      else containerId = undefined;
    } else if (parent === 'lxc.payload' || (parent === 'lxc' && index === 1)) {
      return { containerId: segment, runtime: 'lxc', podUid: null };
    } else if (segment.startsWith('lxc.payload.') && segment.length > 'lxc.payload.'.length) {
      return { containerId: segment.slice('lxc.payload.'.length), runtime: 'lxc', podUid: null };
    }
    if (containerId === undefined || runtime === undefined) continue;
    return { containerId, runtime, podUid: podUidIn(segments.slice(0, index + 1)) };
  }
  return NONE;
}

function podUidIn(segments: readonly string[]): string | null {
  for (let index = segments.length - 1; index >= 0; index--) {
    const match = POD.exec(segments[index]!);
    if (match) return match[1]!.replaceAll('_', '-');
  }
  return null;
}

/**
 * Classifies a process from its `/proc/<pid>/cgroup` lines. Lines are tried in this order until one names a
 * container: the v2 line, the v1 lines holding cpu or cpuacct, `name=systemd`, the rest; on hybrid hosts the v2 line
 * often names only the runtime's service (`/system.slice/containerd.service`) while the v1 lines carry the id.
 */
export function classifyCgroup(lines: readonly CgroupLine[]): ProcessCgroup {
  const unified = lines.find((line) => line.hierarchyId === 0 && line.controllers.length === 0);
  const cpuacct = lines.find((line) => line.controllers.includes('cpuacct'));
  const rank = (line: CgroupLine): number =>
    line === unified ? 0 : line.controllers.includes('cpuacct') || line.controllers.includes('cpu') ? 1 : line.controllers.includes('name=systemd') ? 2 : 3;
  const ordered = [...lines].sort((a, b) => rank(a) - rank(b));
  let found = NONE;
  for (const line of ordered) {
    const classification = classifyCgroupPath(line.path);
    if (classification.containerId !== null) {
      found = classification;
      break;
    }
  }
  return { ...found, unifiedPath: unified?.path ?? null, cpuacctPath: cpuacct?.path ?? null };
}
