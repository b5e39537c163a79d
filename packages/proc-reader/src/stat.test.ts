import { listProcCaptures, loadProcCapture } from '@proj/fixtures';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProcParseError } from './errors.js';
import { readFileSync } from 'node:fs';
import { parseCpuTimes, parseLoadavg, parseNsPids, parseProcessStat, parseUptimeSeconds } from './stat.js';
import { formatStatLine } from './testing/memory-io.js';

const cpuLineCaptures = listProcCaptures('stat').filter((capture) => capture.name.includes('__proc-stat-'));
const pidStatCaptures = listProcCaptures('stat').filter((capture) => /__(pid|task)-stat-/.test(capture.name));

describe('parseCpuTimes', () => {
  it.each(cpuLineCaptures.map((capture) => [capture.name, capture] as const))('%s: busy = total - idle - iowait, guest not added', (_name, capture) => {
    const times = parseCpuTimes(capture.text, capture.file);
    const numbers = capture.text.split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const firstEight = numbers.slice(0, 8).reduce((sum, value) => sum + value, 0);
    expect(times.totalTicks).toBe(firstEight);
    expect(times.busyTicks).toBe(firstEight - numbers[3]! - numbers[4]!);
    expect(times.guestTicks).toBe(numbers[8] ?? 0);
  });

  it('reads the 9-field 2.6.32 line (no guest_nice) and counts its cpuN lines', () => {
    const times = parseCpuTimes(loadProcCapture('stat', 'java-procfs-mbeans-1__proc-stat-cpu-lines-2.6.32-9-fields').text);
    expect(times).toMatchObject({ idleTicks: 43198021687, stealTicks: 10837557, guestTicks: 0, guestNiceTicks: 0, cpuCount: 1 });
    expect(times.totalTicks).toBe(2682230089 + 18237 + 468781340 + 43198021687 + 27803353 + 7231 + 4364336 + 10837557);
  });

  it('keeps kepler guest time inside user (5327346 guest ticks are not added again)', () => {
    const times = parseCpuTimes(loadProcCapture('stat', 'kepler__proc-stat-cpu-line-only-high-irq-guest').text);
    expect(times.guestTicks).toBe(5327346);
    expect(times.totalTicks).toBe(8608833 + 7605 + 4179891 + 1295036209 + 426072 + 15697167 + 1285624);
    expect(times.busyTicks).toBe(8608833 + 7605 + 4179891 + 15697167 + 1285624);
    expect(times.cpuCount).toBeNull();
  });

  it('reads the 7- and 8-counter lines of 2.6.0 to 2.6.23 kernels (synthetic), missing counters as 0', () => {
    expect(parseCpuTimes('cpu  10 1 5 100 3 2 1\n')).toMatchObject({ stealTicks: 0, totalTicks: 122, busyTicks: 19 });
    expect(parseCpuTimes('cpu  10 1 5 100 3 2 1 4\n')).toMatchObject({ stealTicks: 4, totalTicks: 126, busyTicks: 23 });
  });

  it('ignores counters a future kernel appends after guest_nice (synthetic 11-counter line)', () => {
    expect(parseCpuTimes('cpu  10 1 5 100 3 2 1 4 6 1 999\ncpu0 1 1 1 1 1 1 1 1 1 1\ncpu1 1 1 1 1 1 1 1 1 1 1\n')).toMatchObject({ totalTicks: 126, busyTicks: 23, cpuCount: 2 });
  });

  it('counts the CPUs of this machine', () => {
    const text = 'cpu  1 2 3 4 5 6 7 8 9 10\ncpu0 1 2 3 4 5 6 7 8 9 10\ncpu1 1 2 3 4 5 6 7 8 9 10\nintr 1 2\nctxt 5\n';
    expect(parseCpuTimes(text).cpuCount).toBe(2);
  });

  it.each([
    ['no cpu line', 'intr 1 2\n'],
    ['too few counters', 'cpu  1 2 3\n'],
    ['a negative counter', 'cpu  1 2 -3 4\n'],
    ['a word', 'cpu  1 2 x 4\n'],
  ])('refuses %s with a ProcParseError', (_what, text) => {
    expect(() => parseCpuTimes(text, '/x/stat')).toThrow(ProcParseError);
  });
});

describe('parseProcessStat', () => {
  it.each(pidStatCaptures.map((capture) => [capture.name, capture] as const))('%s parses; utime and stime are fields 14 and 15', (_name, capture) => {
    const stat = parseProcessStat(capture.text, capture.file);
    const after = capture.text.slice(capture.text.lastIndexOf(')') + 2).trim().split(' ');
    expect(stat.pid).toBe(Number(capture.text.split(' ')[0]));
    expect([stat.utimeTicks, stat.stimeTicks, stat.starttimeTicks]).toEqual([Number(after[11]), Number(after[12]), Number(after[19])]);
  });

  it('reads prometheus in docker (7-digit pid)', () => {
    const stat = parseProcessStat(loadProcCapture('stat', 'kepler__pid-stat-prometheus-in-docker').text);
    expect(stat).toMatchObject({ pid: 3456208, comm: 'prometheus', state: 'S', ppid: 3456165, utimeTicks: 572479, stimeTicks: 27124, numThreads: 23, starttimeTicks: 633412975, kernelThread: false });
  });

  it('reads the truncated qemu comm', () => {
    const stat = parseProcessStat(loadProcCapture('stat', 'kepler__pid-stat-qemu-system-x86-truncated-comm').text);
    expect(stat).toMatchObject({ pid: 43251, comm: 'qemu-system-x86', utimeTicks: 143592, stimeTicks: 25589, numThreads: 8, starttimeTicks: 281058 });
  });

  it('reads the kernel thread with INT64 cutime/cstime: flagged as kernel thread, unrepresentable children times as null', () => {
    const stat = parseProcessStat(loadProcCapture('stat', 'procfs__pid-stat-kthread-ata_sff-negative-fields').text);
    expect(stat).toMatchObject({ pid: 33, comm: 'ata_sff', ppid: 2, kernelThread: true, utimeTicks: 0, stimeTicks: 0, cutimeTicks: null, cstimeTicks: null, starttimeTicks: 5 });
  });

  it('reads vim in state R and a thread of pthread_load', () => {
    expect(parseProcessStat(loadProcCapture('stat', 'procfs__pid-stat-vim-R-state').text)).toMatchObject({ pid: 26231, state: 'R', utimeTicks: 1677, stimeTicks: 44, cutimeTicks: 158, cstimeTicks: 99, starttimeTicks: 82375 });
    expect(parseProcessStat(loadProcCapture('stat', 'procfs__task-stat-pthread_load-thread').text)).toMatchObject({ pid: 27080, comm: 'pthread_load', ppid: 1, utimeTicks: 34136, stimeTicks: 3, numThreads: 5, starttimeTicks: 4289575 });
  });

  it('reads a zombie (synthetic line): state Z, its times still there', () => {
    const stat = parseProcessStat(formatStatLine({ pid: 4242, comm: 'ffmpeg', state: 'Z', utime: 312, stime: 17, starttime: 99 }));
    expect(stat).toMatchObject({ state: 'Z', utimeTicks: 312, stimeTicks: 17, starttimeTicks: 99 });
  });

  it('takes the comm up to the LAST parenthesis', () => {
    expect(parseProcessStat(formatStatLine({ pid: 7, comm: 'a) R 1 (b', utime: 5, starttime: 8 }))).toMatchObject({ comm: 'a) R 1 (b', state: 'S', utimeTicks: 5, starttimeTicks: 8 });
    expect(parseProcessStat(formatStatLine({ pid: 7, comm: ')', state: 'R' }))).toMatchObject({ comm: ')', state: 'R' });
    expect(parseProcessStat(formatStatLine({ pid: 7, comm: '' }))).toMatchObject({ comm: '' });
  });

  it('round-trips random comms (spaces, parentheses, digits, unicode) and times through a formatted stat line', () => {
    const commChars = fc.constantFrom(...'ab ()) (x9-_.:/\u00e9\u4e2d'.split(''));
    fc.assert(
      fc.property(
        fc.array(commChars, { maxLength: 15 }).map((chars) => chars.join('')),
        fc.nat(), fc.nat(), fc.nat(), fc.integer({ min: 1, max: 4194304 }), fc.constantFrom('R', 'S', 'D', 'Z', 'T', 'I'),
        (comm, utime, stime, starttime, pid, state) => {
          const stat = parseProcessStat(formatStatLine({ pid, comm, state, utime, stime, starttime }));
          expect(stat).toMatchObject({ pid, comm, state, utimeTicks: utime, stimeTicks: stime, starttimeTicks: starttime });
        },
      ),
    );
  });

  it.each([
    ['no parentheses', '12 bash S 1 2 3'],
    ['a truncated line', '12 (bash) S 1 2 3 4 5 6 7 8 9 10\n'],
    ['no pid', '(bash) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21'],
    ['a word for utime', formatStatLine({ pid: 3, comm: 'x' }).replace(/^(3 \(x\) (?:\S+ ){11})\S+/, '$1abc')],
  ])('refuses %s with a ProcParseError naming the file', (_what, text) => {
    expect(() => parseProcessStat(text, '/proc/12/stat')).toThrow(/\/proc\/12\/stat/);
    expect(() => parseProcessStat(text, '/proc/12/stat')).toThrow(ProcParseError);
  });
});

describe('parseUptimeSeconds', () => {
  it('reads the first number', () => {
    expect(parseUptimeSeconds('350735.47 234388.90\n')).toBe(350735.47);
    expect(() => parseUptimeSeconds('')).toThrow(ProcParseError);
  });
});

describe('parseLoadavg', () => {
  it('reads the three averages, runnable/total entities and the last pid', () => {
    expect(parseLoadavg('0.20 0.18 0.12 1/80 11206\n')).toEqual({ load1: 0.2, load5: 0.18, load15: 0.12, runnable: 1, entities: 80, lastPid: 11206 });
    expect(parseLoadavg('12.5 3 0.00 17/4096 4194303 extra').lastPid).toBe(4194303);
  });

  it('throws a ProcParseError naming the file for malformed or missing fields', () => {
    for (const text of ['', '0.20 0.18 0.12 1/80', '0.20 0.18 0.12 80 11206', '0.20 0.18 0.12 1/80 -1', '0.20 0.18 0.12 1/80 11x', 'a 0.18 0.12 1/80 11206']) {
      expect(() => parseLoadavg(text, '/host/proc/loadavg'), text).toThrow(ProcParseError);
    }
    expect(() => parseLoadavg('0.20 0.18 0.12 1/80 pid', '/host/proc/loadavg')).toThrow(/\/host\/proc\/loadavg/);
  });

  it('parses this host\'s /proc/loadavg', () => {
    const loadavg = parseLoadavg(readFileSync('/proc/loadavg', 'utf8'));
    expect(loadavg.lastPid).toBeGreaterThan(0);
    expect(loadavg.runnable).toBeLessThanOrEqual(loadavg.entities);
  });
});

describe('parseNsPids', () => {
  const status = (nspid: string | null) => ['Name:\tnode', 'Tgid:\t4242', ...(nspid === null ? [] : [`NSpid:${nspid}`]), 'PPid:\t1', ''].join('\n');

  it('reads one pid per namespace, outermost (the mount\'s) first', () => {
    expect(parseNsPids(status('\t4242'))).toEqual([4242]);
    expect(parseNsPids(status('\t98765\t12\t1'))).toEqual([98765, 12, 1]);
  });

  it('is null without an NSpid line (before Linux 4.1) and throws on a malformed one', () => {
    expect(parseNsPids(status(null))).toBeNull();
    expect(parseNsPids('')).toBeNull();
    expect(() => parseNsPids(status('\t'))).toThrow(ProcParseError);
    expect(() => parseNsPids(status('\t12\tx'))).toThrow(ProcParseError);
  });

  it('ends with our own pid in this process\'s /proc/self/status', () => {
    expect(parseNsPids(readFileSync('/proc/self/status', 'utf8'))?.at(-1)).toBe(process.pid);
  });
});
