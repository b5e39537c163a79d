import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FakeConfigError, latencyFor, parseConfig } from './config.js';

describe('parseConfig', () => {
  it('defaults to a healthy H100 whose values alternate between the idle and load captures', () => {
    expect(parseConfig({})).toEqual({
      capture: 'h100',
      fixturesDir: undefined,
      state: 'alternate',
      fail: 'none',
      afterTicks: 0,
      exitCode: undefined,
      startDelayMs: 0,
      latencyMs: [0, 0],
      messageStream: 'stdout',
      pmonCapture: 'datarhei-ffmpeg',
      pmonLayout: 'capture',
      pmonFail: 'none',
      pmonAfterTicks: 0,
      pmonDelayMs: undefined,
      pmonHeaderEvery: 44,
    });
  });

  it('reads every FAKE_NVIDIA_SMI_* variable', () => {
    expect(
      parseConfig({
        FAKE_NVIDIA_SMI_CAPTURE: '2gpu',
        FAKE_NVIDIA_SMI_FIXTURES: '/tmp/captures',
        FAKE_NVIDIA_SMI_STATE: 'load',
        FAKE_NVIDIA_SMI_FAIL: 'hang',
        FAKE_NVIDIA_SMI_AFTER_TICKS: '3',
        FAKE_NVIDIA_SMI_EXIT_CODE: '7',
        FAKE_NVIDIA_SMI_START_DELAY_MS: '1500',
        FAKE_NVIDIA_SMI_LATENCY_MS: '10-30',
        FAKE_NVIDIA_SMI_MESSAGE_STREAM: 'stderr',
        FAKE_NVIDIA_SMI_PMON: 'ray-3gpu',
        FAKE_NVIDIA_SMI_PMON_LAYOUT: 'new',
        FAKE_NVIDIA_SMI_PMON_FAIL: 'not-supported',
        FAKE_NVIDIA_SMI_PMON_AFTER_TICKS: '2',
        FAKE_NVIDIA_SMI_PMON_DELAY_MS: '50',
        FAKE_NVIDIA_SMI_PMON_HEADER_EVERY: '0',
      }),
    ).toEqual({
      capture: '2gpu',
      fixturesDir: '/tmp/captures',
      state: 'load',
      fail: 'hang',
      afterTicks: 3,
      exitCode: 7,
      startDelayMs: 1500,
      latencyMs: [10, 30],
      messageStream: 'stderr',
      pmonCapture: 'ray-3gpu',
      pmonLayout: 'new',
      pmonFail: 'not-supported',
      pmonAfterTicks: 2,
      pmonDelayMs: 50,
      pmonHeaderEvery: 0,
    });
    expect(parseConfig({ FAKE_NVIDIA_SMI_LATENCY_MS: '20' }).latencyMs).toEqual([20, 20]);
  });

  it.each([
    ['FAKE_NVIDIA_SMI_FAIL', 'explode'],
    ['FAKE_NVIDIA_SMI_STATE', 'busy'],
    ['FAKE_NVIDIA_SMI_AFTER_TICKS', '-1'],
    ['FAKE_NVIDIA_SMI_START_DELAY_MS', '1.5'],
    ['FAKE_NVIDIA_SMI_LATENCY_MS', '30-10'],
    ['FAKE_NVIDIA_SMI_LATENCY_MS', 'fast'],
    ['FAKE_NVIDIA_SMI_EXIT_CODE', '300'],
    ['FAKE_NVIDIA_SMI_MESSAGE_STREAM', 'both'],
    ['FAKE_NVIDIA_SMI_PMON', 'gtx-480'],
    ['FAKE_NVIDIA_SMI_PMON_LAYOUT', 'newest'],
    ['FAKE_NVIDIA_SMI_PMON_FAIL', 'explode'],
    ['FAKE_NVIDIA_SMI_PMON_DELAY_MS', 'soon'],
    ['FAKE_NVIDIA_SMI_FAIL', 'not-supported'],
  ])('rejects %s=%s, naming the variable', (name, value) => {
    expect(() => parseConfig({ [name]: value })).toThrow(FakeConfigError);
    expect(() => parseConfig({ [name]: value })).toThrow(name);
  });
});

describe('latencyFor', () => {
  it('stays within the range and repeats exactly (property)', () => {
    fc.assert(
      fc.property(fc.nat(100_000), fc.nat(1000), fc.nat(1000), (tick, a, b) => {
        const range = [Math.min(a, b), Math.max(a, b)] as const;
        const ms = latencyFor(tick, range);
        expect(ms).toBeGreaterThanOrEqual(range[0]);
        expect(ms).toBeLessThanOrEqual(range[1]);
        expect(latencyFor(tick, range)).toBe(ms);
      }),
    );
  });

  it('varies from call to call over a range', () => {
    expect(new Set([0, 1, 2, 3, 4, 5].map((tick) => latencyFor(tick, [10, 30]))).size).toBeGreaterThan(3);
  });
});
