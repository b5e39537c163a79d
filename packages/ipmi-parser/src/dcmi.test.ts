import { loadIpmiCapture } from '@proj/fixtures';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDcmiPowerReading } from './dcmi.js';
import { IpmiError } from './errors.js';
import { parseIpmiError } from './messages.js';
import { parseSdrPowerSensors } from './sdr.js';

const ACTIVATED = loadIpmiCapture('rabe-zabbix-101__ipmitool-dcmi-power-reading-activated').text;
const FREEIPMI = loadIpmiCapture('ceems__ipmi-dcmi-get-system-power-statistics-lowercase-watts').text;

function reasonOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    if (error instanceof IpmiError) return error.reason;
    throw error;
  }
  return undefined;
}

describe('parseDcmiPowerReading', () => {
  it('reads CRLF output as well', () => {
    expect(parseDcmiPowerReading(ACTIVATED.replace(/\n/g, '\r\n')).powerWatts).toBe(197);
  });

  it("withholds FreeIPMI's values when its measurement is `Not Available`", () => {
    const reading = parseDcmiPowerReading(FREEIPMI.replace('Power Measurement                    : Active', 'Power Measurement                    : Not Available'));
    expect(reading.state).toBe('deactivated');
    expect(reading.powerWatts).toBeUndefined();
    expect(reading.averageWatts).toBeUndefined();
  });

  it('finds the reading in stdout and stderr together', () => {
    expect(parseDcmiPowerReading(`${ACTIVATED}Warning: something on stderr\n`).powerWatts).toBe(197);
  });

  it('throws incomplete for a reading cut before its instantaneous value, the tool error when one is there', () => {
    expect(reasonOf(() => parseDcmiPowerReading('\n    Instantaneous power reading:  '))).toBe('incomplete');
    expect(reasonOf(() => parseDcmiPowerReading('\n    Instantaneous power reading:  \nError: Unable to establish LAN session\n'))).toBe('session_failed');
  });

  it('throws unrecognised_output for empty output and garbage', () => {
    expect(reasonOf(() => parseDcmiPowerReading(''))).toBe('unrecognised_output');
    expect(reasonOf(() => parseDcmiPowerReading('\u001b[31m\uFFFD garbage 0xDEADBEEF\n-- not a reading --\n'))).toBe('unrecognised_output');
  });
});

describe('parseIpmiError', () => {
  it.each([
    ['Could not open device at /dev/ipmi0 or /dev/ipmi/0 or /dev/ipmidev/0: No such file or directory', 'no_device', undefined],
    ['Could not open device at /dev/ipmi0 or /dev/ipmi/0 or /dev/ipmidev/0: Permission denied', 'permission_denied', undefined],
    ['ipmi_ctx_open_inband: could not find inband device', 'no_device', undefined],
    ['Error loading interface imb', 'interface_error', undefined],
    ['No response from remote controller', 'timeout', undefined],
    ['ipmi_cmd_dcmi_get_power_reading: session timeout', 'timeout', undefined],
    ['DCMI request failed because: Invalid command (c1)', 'unsupported', 0xc1],
    ['DCMI request failed because: Unspecified error (ff)', 'command_failed', 0xff],
    ['Error: Unable to establish IPMI v2 / RMCP+ session', 'session_failed', undefined],
  ] as const)('%s -> %s', (text, reason, completionCode) => {
    const error = parseIpmiError(`\n    ${text}\n`);
    expect(error).toBeInstanceOf(IpmiError);
    expect(error?.reason).toBe(reason);
    expect(error?.text).toBe(text);
    expect(error?.completionCode).toBe(completionCode);
  });

  it('is undefined for a reading and for text it does not know', () => {
    expect(parseIpmiError(ACTIVATED)).toBeUndefined();
    expect(parseIpmiError('hello\nworld')).toBeUndefined();
  });
});

describe('properties', () => {
  const onlyTyped = (text: string): void => {
    try {
      const reading = parseDcmiPowerReading(text);
      for (const value of [reading.powerWatts, reading.minimumWatts, reading.maximumWatts, reading.averageWatts]) {
        if (value !== undefined) expect(Number.isFinite(value) && value >= 0).toBe(true);
      }
      if (reading.state === 'deactivated') expect(reading.powerWatts).toBeUndefined();
    } catch (error) {
      expect(error).toBeInstanceOf(IpmiError);
    }
    parseIpmiError(text);
    for (const sensor of parseSdrPowerSensors(text)) {
      if (sensor.watts !== undefined) expect(Number.isFinite(sensor.watts)).toBe(true);
    }
  };

  it('never throw anything but IpmiError on random text', () => {
    fc.assert(fc.property(fc.string({ maxLength: 400, unit: 'binary' }), onlyTyped), { numRuns: 300 });
  });

  it('never throw anything but IpmiError on captures cut, spliced and sprinkled with noise', () => {
    const pieces = fc.constantFrom(ACTIVATED, FREEIPMI, '|', ':', ' Watts', ' watts', '\n', 'deactivated', 'Not Available', '(c1)', '123', '-1', '1e999');
    fc.assert(
      fc.property(fc.array(fc.oneof(pieces, fc.string({ maxLength: 20 })), { maxLength: 12 }), fc.nat(), (parts, cut) => {
        const text = parts.join('');
        onlyTyped(text);
        onlyTyped(text.slice(0, cut % (text.length + 1)));
      }),
      { numRuns: 300 },
    );
  });

  it('a cut ipmitool reading either keeps its instantaneous value or throws a typed error', () => {
    fc.assert(
      fc.property(fc.nat({ max: ACTIVATED.length }), (cut) => {
        try {
          expect(parseDcmiPowerReading(ACTIVATED.slice(0, cut)).powerWatts).toBe(197);
        } catch (error) {
          expect(error).toBeInstanceOf(IpmiError);
        }
      }),
    );
  });
});
