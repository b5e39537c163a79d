/** One Dockerfile instruction: its keyword (upper case) and its arguments on one line. */
export interface Instruction {
  readonly keyword: string;
  readonly args: string;
}

/** Instructions in order: comments and blank lines dropped, `\` continuations joined. */
export function parseDockerfile(text: string): Instruction[] {
  const instructions: Instruction[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (pending === '' && (line === '' || line.startsWith('#'))) continue;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    const full = pending + line;
    pending = '';
    const match = /^(\S+)\s*(.*)$/.exec(full);
    if (match) instructions.push({ keyword: match[1]!.toUpperCase(), args: match[2]!.replace(/\s+/g, ' ') });
  }
  return instructions;
}

/** `ARG NAME=default` lines before the first FROM. */
export function globalArgs(instructions: Instruction[]): Map<string, string> {
  const args = new Map<string, string>();
  for (const { keyword, args: text } of instructions) {
    if (keyword === 'FROM') break;
    const match = /^(\w+)=(.*)$/.exec(text);
    if (keyword === 'ARG' && match) args.set(match[1]!, match[2]!);
  }
  return args;
}

/** The instructions of each stage, FROM first. */
export function stages(instructions: Instruction[]): Instruction[][] {
  const result: Instruction[][] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') result.push([]);
    result.at(-1)?.push(instruction);
  }
  return result;
}

/**
 * A predicate for paths (relative, `/`-separated) that a .dockerignore drops from the build context: a path
 * is dropped when it, or a directory above it, matches a pattern (`*` and `?` within one segment, `**` across
 * any). `!` exceptions are not supported and are refused.
 */
export function dockerignoreMatcher(text: string): (path: string) => boolean {
  const patterns = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      if (line.startsWith('!')) throw new Error(`.dockerignore exceptions are not supported here: ${line}`);
      const glob = line.replace(/^\/+|\/+$/g, '');
      const source = glob
        .split('/')
        .map((segment) => (segment === '**' ? '.*' : segment.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')))
        .join('/')
        .replace(/\.\*\//g, '(?:.*/)?');
      return new RegExp(`^${source}$`);
    });
  return (path) => {
    const segments = path.split('/');
    for (let i = 1; i <= segments.length; i++) {
      const prefix = segments.slice(0, i).join('/');
      if (patterns.some((pattern) => pattern.test(prefix))) return true;
    }
    return false;
  };
}
