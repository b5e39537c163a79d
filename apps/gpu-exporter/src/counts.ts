import type { Counter } from 'prom-client';

/** What a source of supervised children (nvidia-smi -lms, pmon) has counted since it was created. */
export interface ChildCounts {
  /** Loop children started again after the first. */
  readonly restarts: number;
  /** Loop children killed because no complete answer came in time. */
  readonly stalls: number;
  /** Loop children that ended, by exit code (`signal_SIGKILL`, or the spawn errno). */
  readonly exits: ReadonlyMap<string, number>;
  /** Output that was not data, by reason (column_count, incomplete_batch, gpu_lost, spawn, timeout, ...). */
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
