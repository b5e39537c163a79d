import type { Counter } from 'prom-client';

/** A child source's cumulative counts, as the nvidia-smi and pmon sources keep them. */
export interface ChildCounts {
  readonly restarts: number;
  readonly stalls: number;
  readonly exits: ReadonlyMap<string, number>;
  readonly readErrors: ReadonlyMap<string, number>;
}

/** The counters a source's counts are brought to (`exits` labelled `code`, `readErrors` labelled `reason`). */
export interface ChildCounters {
  readonly restarts: Counter;
  readonly stalls: Counter;
  readonly exits: Counter<'code'>;
  readonly readErrors: Counter<'reason'>;
}

/**
 * Returns a function that brings the counters up to a source's cumulative counts: counters only go up, so each call
 * adds what grew since the last.
 */
export function createCountMirror(counters: ChildCounters): (counts: ChildCounts) => void {
  const seen = { restarts: 0, stalls: 0, exits: new Map<string, number>(), readErrors: new Map<string, number>() };
  return (counts) => {
    counters.restarts.inc(counts.restarts - seen.restarts);
    counters.stalls.inc(counts.stalls - seen.stalls);
    seen.restarts = counts.restarts;
    seen.stalls = counts.stalls;
    for (const [code, n] of counts.exits) {
      const before = seen.exits.get(code) ?? 0;
      if (n > before) counters.exits.inc({ code }, n - before);
      seen.exits.set(code, n);
    }
    for (const [reason, n] of counts.readErrors) {
      const before = seen.readErrors.get(reason) ?? 0;
      if (n > before) counters.readErrors.inc({ reason }, n - before);
      seen.readErrors.set(reason, n);
    }
  };
}
