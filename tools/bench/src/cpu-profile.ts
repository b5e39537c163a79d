// A V8 .cpuprofile (node --cpu-prof) summed by function: the evidence the profile probe prints.

/** The parts of a V8 .cpuprofile used here. */
export interface CpuProfile {
  readonly nodes: readonly { readonly id: number; readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number } }[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** Self time of one function (all its nodes), milliseconds. */
export interface FunctionTime {
  readonly name: string;
  readonly selfMs: number;
}

/**
 * A profile's self time by function, largest first, and its totals, milliseconds, counting only the samples taken
 * `skipMs` or more after the profile started (start-up left out). Pure.
 */
export function summarizeCpuProfile(profile: CpuProfile, skipMs = 0): { totalMs: number; idleMs: number; functions: FunctionTime[] } {
  const nameOf = new Map<number, string>();
  for (const node of profile.nodes) {
    const { functionName, url, lineNumber } = node.callFrame;
    // (idle), (garbage collector), (program) have no url; a function is its name and where it is.
    const file = url.split('/').at(-1) ?? '';
    nameOf.set(node.id, url === '' ? functionName || '(anonymous)' : `${functionName || '(anonymous)'} ${file}:${lineNumber + 1}`);
  }
  const self = new Map<string, number>();
  // timeDeltas[i] is the time from sample i-1 to sample i: it belongs to where the program was during it, sample i.
  let atMicros = profile.startTime;
  profile.samples.forEach((id, i) => {
    atMicros += profile.timeDeltas[i] ?? 0;
    if (atMicros - profile.startTime < skipMs * 1000) return;
    const name = nameOf.get(id) ?? '(unknown)';
    self.set(name, (self.get(name) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  });
  const functions = [...self].map(([name, selfMs]) => ({ name, selfMs })).sort((a, b) => b.selfMs - a.selfMs);
  const totalMs = functions.reduce((sum, f) => sum + f.selfMs, 0);
  return { totalMs, idleMs: self.get('(idle)') ?? 0, functions };
}
