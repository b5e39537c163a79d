import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HwmonParseError } from './errors.js';
import { chipLabel, parseHwmonInteger, parseHwmonName, parseSensorFileName, socketOf } from './parse.js';

describe('parseSensorFileName', () => {
  it('knows the power and energy attributes, and nothing else', () => {
    expect(parseSensorFileName('power1_average')).toEqual({ kind: 'power', index: 1, attribute: 'average' });
    expect(parseSensorFileName('power2_average_interval')).toEqual({ kind: 'power', index: 2, attribute: 'average_interval' });
    expect(parseSensorFileName('power12_input')).toEqual({ kind: 'power', index: 12, attribute: 'input' });
    expect(parseSensorFileName('energy7_label')).toEqual({ kind: 'energy', index: 7, attribute: 'label' });
    for (const other of ['power1_cap', 'power0_input', 'energy1_average', 'temp1_input', 'in0_input', 'name', 'power1_input_highest', 'power01_input']) {
      expect(parseSensorFileName(other)).toBeUndefined();
    }
  });
});

describe('parseHwmonInteger', () => {
  it('reads decimal integers and refuses the rest with a typed error', () => {
    expect(parseHwmonInteger('262000000\n', 'f')).toBe(262_000_000);
    for (const [text, problem] of [
      ['', 'empty value'],
      ['-5', 'negative value'],
      ['12.5', 'not an integer'],
      ['0x10', 'not an integer'],
      ['18446744073709551615', 'value beyond 2^53'],
    ] as const) {
      expect(() => parseHwmonInteger(text, 'f')).toThrow(HwmonParseError);
      expect(() => parseHwmonInteger(text, 'f')).toThrow(problem);
    }
  });

  it('returns the integer or throws HwmonParseError, for any text (property)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.nat().map(String), fc.bigInt({ min: 0n, max: 1n << 64n }).map(String)), (text) => {
        try {
          const value = parseHwmonInteger(text, 'f');
          expect(Number.isSafeInteger(value) && value >= 0).toBe(true);
          expect(String(value)).toBe(text.trim().replace(/^0+(?=\d)/, ''));
        } catch (error) {
          expect(error).toBeInstanceOf(HwmonParseError);
        }
      }),
    );
  });

  it('refuses an empty chip name', () => {
    expect(parseHwmonName(' zenpower\n', 'f')).toBe('zenpower');
    expect(() => parseHwmonName('\n', 'f')).toThrow(HwmonParseError);
  });
});

describe('chipLabel', () => {
  it('sanitises like a RAPL zone', () => {
    expect(chipLabel('power_meter')).toBe('power_meter');
    expect(chipLabel('BAT1')).toBe('bat1');
    expect(chipLabel('nct6798-isa-0290')).toBe('nct6798_isa_0290');
    expect(chipLabel('a--b  c')).toBe('a_b_c');
  });

  it('yields only [a-z0-9_] with no run of underscores from the replacement (property)', () => {
    fc.assert(
      fc.property(fc.string(), (name) => {
        const label = chipLabel(name);
        expect(label).toMatch(/^[a-z0-9_]*$/);
        expect(chipLabel(label)).toBe(label);
      }),
    );
  });
});

describe('socketOf', () => {
  it('is the package of an amd_energy / zenergy Esocket counter, and nothing else', () => {
    expect(socketOf('zenergy', 'energy', 'Esocket0')).toEqual({ zone: 'package_0', package: '0' });
    expect(socketOf('amd_energy', 'energy', 'Esocket1')).toEqual({ zone: 'package_1', package: '1' });
    expect(socketOf('zenergy', 'energy', 'Ecore000')).toBeUndefined();
    expect(socketOf('amdgpu', 'energy', 'Esocket0')).toBeUndefined();
    expect(socketOf('zenergy', 'power', 'Esocket0')).toBeUndefined();
  });
});
