// Test support, not exported: a ProcIo over an in-memory tree, with failures on demand and a log of what was read.
import { posix } from 'node:path';
import type { ProcIo } from '../io.js';

/** A ProcIo over `files` (absolute path -> content); directories are implied by the paths. */
export interface MemoryIo extends ProcIo {
  readonly files: Map<string, string>;
  /** Makes every call on `path` throw an Error with this errno code (`EACCES`, `ENOENT`, `ESRCH`). */
  fail(path: string, code: string): void;
  /** Every path read (readFile and readInto), in order. */
  readonly reads: string[];
  /** Directories listed (readdir), in order. */
  readonly readdirs: string[];
  /** Paths read through a descriptor held open (readAt), in order. */
  readonly fdReads: string[];
  /** Descriptors open now, by number. */
  readonly openFds: Map<number, string>;
}

export function createMemoryIo(files: Record<string, string> = {}): MemoryIo {
  const map = new Map(Object.entries(files));
  const failures = new Map<string, string>();
  const reads: string[] = [];
  const fdReads: string[] = [];
  const readdirs: string[] = [];
  const openFds = new Map<number, string>();
  let nextFd = 100;
  const check = (path: string): void => {
    const code = failures.get(path);
    if (code !== undefined) throw Object.assign(new Error(`${code}: ${path}`), { code });
  };
  const enoent = (path: string): never => {
    throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
  };
  const children = (dir: string): { names: Set<string>; dirs: Set<string> } => {
    const prefix = dir.endsWith('/') ? dir : `${dir}/`;
    const names = new Set<string>();
    const dirs = new Set<string>();
    for (const path of map.keys()) {
      if (!path.startsWith(prefix)) continue;
      const rest = path.slice(prefix.length);
      const slash = rest.indexOf('/');
      names.add(slash < 0 ? rest : rest.slice(0, slash));
      if (slash >= 0) dirs.add(rest.slice(0, slash));
    }
    if (names.size === 0) enoent(dir);
    return { names, dirs };
  };
  const readFile = (path: string): string => {
    const normal = posix.normalize(path);
    reads.push(normal);
    check(normal);
    return map.get(normal) ?? enoent(normal);
  };
  return {
    files: map,
    reads,
    readdirs,
    fdReads,
    openFds,
    openFile: (path) => {
      const normal = posix.normalize(path);
      check(normal);
      if (!map.has(normal)) enoent(normal);
      openFds.set(nextFd, normal);
      return nextFd++;
    },
    readAt: (fd, buffer) => {
      const path = openFds.get(fd);
      if (path === undefined) throw Object.assign(new Error('EBADF'), { code: 'EBADF' });
      fdReads.push(path);
      check(path);
      // A real descriptor pins its process: once the file is gone the process has ended.
      const text = map.get(path);
      if (text === undefined) throw Object.assign(new Error(`ESRCH: ${path}`), { code: 'ESRCH' });
      return buffer.write(text, 0, 'utf8');
    },
    closeFile: (fd) => {
      if (!openFds.delete(fd)) throw Object.assign(new Error('EBADF'), { code: 'EBADF' });
    },
    fail: (path, code) => failures.set(posix.normalize(path), code),
    readFile,
    readInto: (path, buffer) => buffer.write(readFile(path), 0, 'utf8'),
    readdir: (path) => {
      readdirs.push(posix.normalize(path));
      check(posix.normalize(path));
      return [...children(posix.normalize(path)).names];
    },
    subdirectories: (path) => {
      check(posix.normalize(path));
      return [...children(posix.normalize(path)).dirs];
    },
  };
}

/** A `/proc/<pid>/stat` line as the kernel formats it (52 fields), for the fields tests care about. */
export function formatStatLine(fields: {
  pid: number;
  comm: string;
  state?: string;
  ppid?: number;
  flags?: number;
  utime?: number;
  stime?: number;
  cutime?: number;
  cstime?: number;
  threads?: number;
  starttime?: number;
}): string {
  const after = [
    fields.state ?? 'S', fields.ppid ?? 1, fields.pid, fields.pid, 0, -1, fields.flags ?? 4194304, 100, 0, 0, 0,
    fields.utime ?? 0, fields.stime ?? 0, fields.cutime ?? 0, fields.cstime ?? 0, 20, 0, fields.threads ?? 1, 0,
    fields.starttime ?? 1000, 1000000, 100, '18446744073709551615', 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 17, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  ];
  return `${fields.pid} (${fields.comm}) ${after.join(' ')}\n`;
}
