// Every capture in tools/fixtures/ipmi/ is a case here, with the values its note and text give.
import { listIpmiCaptures } from '@proj/fixtures';
import { describe, expect, it } from 'vitest';
import { parseDcmiPowerReading, type DcmiPowerReading } from './dcmi.js';
import { IpmiError, type IpmiErrorReason } from './errors.js';
import { parseIpmiError } from './messages.js';
import { parseSdrPowerSensors, type SdrPowerSensor } from './sdr.js';

type Expected =
  | { readonly reading: DcmiPowerReading }
  | { readonly error: IpmiErrorReason; readonly text: string; readonly completionCode?: number }
  | { readonly sdr: readonly SdrPowerSensor[] };

const EXPECTED: Record<string, Expected> = {
  'ceems__ipmi-dcmi-get-system-power-statistics-lowercase-watts': {
    reading: {
      tool: 'freeipmi',
      state: 'activated',
      powerWatts: 332,
      minimumWatts: 68,
      maximumWatts: 504,
      averageWatts: 348,
      samplingPeriodMs: 2_685_198_000,
      timestampText: '11/03/2023 - 08:36:29',
    },
  },
  'ceems__ipmitool-dcmi-power-reading-4294W-max': {
    // 4294 W is what the BMC printed: the parser reports it; judging it is not a parser's job.
    reading: {
      tool: 'ipmitool',
      state: 'activated',
      powerWatts: 2578,
      minimumWatts: 2118,
      maximumWatts: 4294,
      averageWatts: 2567,
      samplingPeriodMs: 300_000,
      timestampText: 'Wed Feb 14 17:09:10 2024',
    },
  },
  'ha-ipmi-13__ipmitool-dcmi-supermicro-CEST-timestamp-partial': {
    // The state line was cut from the capture: unknown, which does not withhold the values.
    reading: {
      tool: 'ipmitool',
      state: undefined,
      powerWatts: 109,
      minimumWatts: 38,
      maximumWatts: 242,
      averageWatts: 102,
      samplingPeriodMs: 65_530_000,
      timestampText: '10/12/23 13:29:17 CEST',
    },
  },
  'lovoo-ipmi-exporter-18__ipmitool-dcmi-power-reading-activated': {
    reading: {
      tool: 'ipmitool',
      state: 'activated',
      powerWatts: 215,
      minimumWatts: 162,
      maximumWatts: 276,
      averageWatts: 176,
      samplingPeriodMs: 1_131_466_000,
      timestampText: 'Wed Feb 15 12:49:51 2017',
    },
  },
  'phosphor-host-ipmid-167__ipmitool-dcmi-power-reading-zero-deactivated-epoch': {
    // Deactivated: the zeros are not a measurement.
    reading: {
      tool: 'ipmitool',
      state: 'deactivated',
      powerWatts: undefined,
      minimumWatts: undefined,
      maximumWatts: undefined,
      averageWatts: undefined,
      samplingPeriodMs: 0,
      timestampText: 'Thu Jan  1 00:00:00 1970',
    },
  },
  'rabe-zabbix-101__ipmitool-dcmi-power-reading-activated': {
    reading: {
      tool: 'ipmitool',
      state: 'activated',
      powerWatts: 197,
      minimumWatts: 175,
      maximumWatts: 242,
      averageWatts: 190,
      samplingPeriodMs: 123_893_000,
      timestampText: 'Sun Mar  6 15:13:42 2022',
    },
  },
  'ha-ipmi-27__ipmitool-lan-interface-errors': { error: 'session_failed', text: 'Get Session Challenge command failed' },
  'ipmi-exporter-1__ipmi-dcmi-error-command-invalid-or-unsupported-cisco': {
    error: 'unsupported',
    text: 'ipmi_cmd_dcmi_get_power_reading: command invalid or unsupported',
  },
  'ipmitool-89__ipmitool-dcmi-get_limit-inband-error-80': {
    error: 'command_failed',
    text: 'A valid DCMI command was not returned! (80)',
    completionCode: 0x80,
  },
  'ha-ipmi-13__ipmitool-sdr-elist-ibm-PS-Power-In': {
    sdr: [
      { name: 'PS1 Power In', watts: 132, status: 'ok', sensorId: '52h', entityId: '10.1' },
      { name: 'PS2 Power In', watts: 160, status: 'ok', sensorId: '53h', entityId: '10.2' },
    ],
  },
  'ha-ipmi-13__ipmitool-sdr-type-current-System-Level-No-Reading': {
    // The `No Reading` line has no unit to say it is power; the amps line is not power.
    sdr: [{ name: 'System Level', watts: 105, status: 'ok', sensorId: '98h', entityId: '7.1' }],
  },
  'ha-ipmi-13__ipmitool-sdr-type-current-dell-Pwr-Consumption': {
    sdr: [{ name: 'Pwr Consumption', watts: 98, status: 'ok', sensorId: '77h', entityId: '7.1' }],
  },
  'ha-ipmi-27__ipmitool-sdr-list-full-intel-S2600WT-PS-Input-Power-partial': {
    sdr: [
      { name: 'PS1 Input Power', watts: 168, status: 'ok' },
      { name: 'PS2 Input Power', watts: 0, status: 'ok' },
    ],
  },
  'ha-ipmi-27__ipmitool-sensor-grep-watts-dell-r710-system-level': { sdr: [{ name: 'System Level', watts: 189, status: 'ok' }] },
  // Discrete sensors print `0x00`, whatever state they assert: no power in them.
  'ipmitool-176__ipmitool-sdr-discrete-PS-status-0x00': { sdr: [] },
};

const captures = listIpmiCaptures();

describe('IPMI captures', () => {
  it('every capture has an expected result here, and every expected result a capture', () => {
    expect(captures.map((capture) => capture.name).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  describe.each(captures)('$name', (capture) => {
    const expected = EXPECTED[capture.name]!;
    if ('reading' in expected) {
      it('parses to the values of its note', () => {
        expect(parseDcmiPowerReading(capture.text)).toEqual(expected.reading);
        expect(parseIpmiError(capture.text)).toBeUndefined();
        expect(parseSdrPowerSensors(capture.text)).toEqual([]);
      });
    } else if ('error' in expected) {
      it(`is the typed error ${expected.error}`, () => {
        let caught: unknown;
        try {
          parseDcmiPowerReading(capture.text);
        } catch (error) {
          caught = error;
        }
        expect(caught).toBeInstanceOf(IpmiError);
        expect((caught as IpmiError).reason).toBe(expected.error);
        expect((caught as IpmiError).text).toBe(expected.text);
        expect((caught as IpmiError).completionCode).toBe(expected.completionCode);
        expect(parseIpmiError(capture.text)?.reason).toBe(expected.error);
      });
    } else {
      it('yields its power sensors', () => {
        expect(parseSdrPowerSensors(capture.text)).toEqual(expected.sdr);
        expect(() => parseDcmiPowerReading(capture.text)).toThrow(IpmiError);
      });
    }
  });
});
