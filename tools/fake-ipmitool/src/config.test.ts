import { describe, expect, it } from 'vitest';
import { parseArgs } from './args.js';
import { DEFAULT_CAPTURES, defaultFixturesDir, FakeConfigError, parseConfig } from './config.js';

describe('parseConfig', () => {
  it('defaults to one real activated capture per tool, no failure, no latency', () => {
    expect(parseConfig('ipmitool', {})).toEqual({
      captures: [DEFAULT_CAPTURES.ipmitool],
      sdrCapture: undefined,
      fixturesDir: defaultFixturesDir,
      fail: 'none',
      afterCalls: 0,
      exitCode: undefined,
      latencyMs: 0,
      ignoreSigterm: false,
      grandchild: false,
      callLog: undefined,
    });
    expect(parseConfig('ipmi-dcmi', {}).captures).toEqual([DEFAULT_CAPTURES['ipmi-dcmi']]);
  });

  it('reads every variable', () => {
    const config = parseConfig('ipmitool', {
      FAKE_IPMI_CAPTURE: 'a, b',
      FAKE_IPMI_CALL_LOG: '/tmp/log',
      FAKE_IPMI_FAIL: 'crash',
      FAKE_IPMI_AFTER_CALLS: '2',
      FAKE_IPMI_EXIT_CODE: '3',
      FAKE_IPMI_LATENCY_MS: '40',
      FAKE_IPMI_IGNORE_SIGTERM: '1',
      FAKE_IPMI_GRANDCHILD: '1',
      FAKE_IPMI_SDR_CAPTURE: 's',
      FAKE_IPMI_FIXTURES: '/f',
    });
    expect(config).toEqual({
      captures: ['a', 'b'],
      sdrCapture: 's',
      fixturesDir: '/f',
      fail: 'crash',
      afterCalls: 2,
      exitCode: 3,
      latencyMs: 40,
      ignoreSigterm: true,
      grandchild: true,
      callLog: '/tmp/log',
    });
  });

  it('slow means 10 s unless a latency is given', () => {
    expect(parseConfig('ipmitool', { FAKE_IPMI_FAIL: 'slow' }).latencyMs).toBe(10_000);
    expect(parseConfig('ipmitool', { FAKE_IPMI_FAIL: 'slow', FAKE_IPMI_LATENCY_MS: '5' }).latencyMs).toBe(5);
  });

  it('refuses values it does not understand, naming the variable', () => {
    for (const env of [
      { FAKE_IPMI_FAIL: 'explode' },
      { FAKE_IPMI_EXIT_CODE: '256' },
      { FAKE_IPMI_LATENCY_MS: '-1' },
      { FAKE_IPMI_GRANDCHILD: 'yes' },
      { FAKE_IPMI_CAPTURE: 'a,,b', FAKE_IPMI_CALL_LOG: '/tmp/x' },
      { FAKE_IPMI_AFTER_CALLS: '1' },
      { FAKE_IPMI_CAPTURE: 'a,b' },
    ]) {
      expect(() => parseConfig('ipmitool', env), JSON.stringify(env)).toThrow(FakeConfigError);
    }
    expect(() => parseConfig('ipmitool', { FAKE_IPMI_FAIL: 'explode' })).toThrow(/FAKE_IPMI_FAIL=explode/);
  });
});

describe('parseArgs', () => {
  it('reads ipmitool commands after its options', () => {
    expect(parseArgs('ipmitool', ['dcmi', 'power', 'reading'])).toEqual({ kind: 'power-reading' });
    expect(parseArgs('ipmitool', ['-I', 'lanplus', '-H', 'bmc', '-U', 'u', '-P', 'p', '-p', '623', 'dcmi', 'power', 'reading'])).toEqual({ kind: 'power-reading' });
    expect(parseArgs('ipmitool', ['-c', 'sdr', 'type', 'Current'])).toEqual({ kind: 'sdr', what: 'sdr' });
    expect(parseArgs('ipmitool', ['sensor'])).toEqual({ kind: 'sdr', what: 'sensor' });
    expect(parseArgs('ipmitool', ['-V'])).toEqual({ kind: 'version' });
    expect(parseArgs('ipmitool', ['dcmi', 'power', 'get_limit']).kind).toBe('invalid');
    expect(parseArgs('ipmitool', []).kind).toBe('invalid');
  });

  it('reads ipmi-dcmi options', () => {
    expect(parseArgs('ipmi-dcmi', ['--get-system-power-statistics'])).toEqual({ kind: 'power-reading' });
    expect(parseArgs('ipmi-dcmi', ['-D', 'LAN_2_0', '-h', 'bmc', '--username=u', '--get-system-power-statistics'])).toEqual({ kind: 'power-reading' });
    expect(parseArgs('ipmi-dcmi', ['--version'])).toEqual({ kind: 'version' });
    expect(parseArgs('ipmi-dcmi', ['--get-dcmi-capability-info']).kind).toBe('invalid');
    expect(parseArgs('ipmi-dcmi', []).kind).toBe('invalid');
  });
});
