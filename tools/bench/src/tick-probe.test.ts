import { describe, expect, it } from 'vitest';
import { parseStraceSummary } from './tick-probe.js';

describe('parseStraceSummary', () => {
  it('reads the calls column of strace -c, with or without errors, and leaves out the total', () => {
    const text = [
      '% time     seconds  usecs/call     calls    errors syscall',
      '------ ----------- ----------- --------- --------- ----------------',
      ' 95.84    0.219704         196      1119        23 futex',
      '  1.75    0.004009          10       395           epoll_pwait',
      '  0.06    0.000139           1       128       116 readlink',
      '------ ----------- ----------- --------- --------- ----------------',
      '100.00    0.229235          87      2623       139 total',
    ].join('\n');
    expect([...parseStraceSummary(text)]).toEqual([
      ['futex', 1119],
      ['epoll_pwait', 395],
      ['readlink', 128],
    ]);
  });

  it('finds nothing in text that is not a summary', () => {
    expect(parseStraceSummary('strace: Process 42 attached\n').size).toBe(0);
  });
});
