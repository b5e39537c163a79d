import { describe, expect, it } from 'vitest';
import { parseSdrPowerSensors } from './sdr.js';

describe('parseSdrPowerSensors', () => {
  it('reads an absent value in `sensor` output as absent, not 0', () => {
    expect(parseSdrPowerSensors('System Level     | na         | Watts      | na    | na        | na        | na        | 917.000   | 966.000   | na\n')).toEqual([
      { name: 'System Level', watts: undefined, status: 'na' },
    ]);
  });

  it('skips other units, discrete sensors and lines that are not sensor rows', () => {
    const text = ['Fan 1 | 4399 RPM | ok', 'PS1 Status | 0x00 | ok', 'Temp | 25 degrees C | ok', 'hello', '| 12 Watts | ok', 'Current | 95h | ok | 10.2 | 0.48 Amps'].join('\n');
    expect(parseSdrPowerSensors(text)).toEqual([]);
  });

  it('reads CRLF lines', () => {
    expect(parseSdrPowerSensors('PS1 Input Power  | 168 Watts         | ok\r\n')).toEqual([{ name: 'PS1 Input Power', watts: 168, status: 'ok' }]);
  });
});
