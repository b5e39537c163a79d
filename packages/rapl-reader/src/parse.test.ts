import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RaplParseError } from './errors.js';
import { packageIndexOf, parentZoneId, parseMicrojoules, parseZoneId, parseZoneName, zoneLabel } from './parse.js';

describe('parseMicrojoules', () => {
  it('reads a sysfs value with its newline', () => {
    expect(parseMicrojoules('262143328850\n', 'f')).toBe(262143328850);
    expect(parseMicrojoules('0\n', 'f')).toBe(0);
  });

  it.each([
    ['', 'empty value'],
    ['\n', 'empty value'],
    ['-12\n', 'negative value'],
    ['abcdef\n', 'not an integer'],
    ['12.5\n', 'not an integer'],
    ['0x10\n', 'not an integer'],
    ['1e6\n', 'not an integer'],
    ['99999999999999999999999\n', 'value beyond 2^53'],
    ['9007199254740992\n', 'value beyond 2^53'],
  ])('rejects %j as a typed error naming the file (%s)', (text, problem) => {
    const error = (() => {
      try {
        parseMicrojoules(text, '/sys/x/energy_uj');
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(RaplParseError);
    expect((error as RaplParseError).file).toBe('/sys/x/energy_uj');
    expect((error as RaplParseError).reason).toBe('parse_error');
    expect((error as RaplParseError).message).toContain(problem);
    expect((error as RaplParseError).message).toContain('/sys/x/energy_uj');
  });

  it('round-trips every safe non-negative integer (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), (n) => {
        expect(parseMicrojoules(`${n}\n`, 'f')).toBe(n);
      }),
    );
  });

  it('never returns a number for text that is not a plain decimal integer (property)', () => {
    fc.assert(
      fc.property(
        fc.string().filter((s) => !/^\s*\d+\s*$/.test(s)),
        (text) => {
          expect(() => parseMicrojoules(text, 'f')).toThrow(RaplParseError);
        },
      ),
    );
  });
});

describe('zone names', () => {
  it.each([
    ['package-0', 'package_0'],
    ['package-0-die-0', 'package_0_die_0'],
    ['core', 'core'],
    ['uncore', 'uncore'],
    ['dram', 'dram'],
    ['psys', 'psys'],
    ['Package--1 (x)', 'package_1_x_'],
  ])('labels %j as %j', (name, label) => {
    expect(zoneLabel(name)).toBe(label);
  });

  it('label values only ever hold [a-z0-9_] (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)) }), (name) => {
        expect(zoneLabel(name)).toMatch(/^[a-z0-9_]*$/);
      }),
    );
  });

  it.each([
    ['package-0', '0'],
    ['package-10', '10'],
    ['package-0-die-1', '0'],
    ['psys', undefined],
    ['dram', undefined],
    ['packagex-1', undefined],
  ])('package index of %j is %j', (name, index) => {
    expect(packageIndexOf(name)).toBe(index);
  });

  it('rejects an empty name file', () => {
    expect(() => parseZoneName('\n', 'n')).toThrow(RaplParseError);
    expect(parseZoneName('package-0\n', 'n')).toBe('package-0');
  });
});

describe('zone ids', () => {
  it('parses hex ids of both control types', () => {
    expect(parseZoneId('intel-rapl:a')).toEqual({ control: 'intel-rapl', indices: [10] });
    expect(parseZoneId('intel-rapl:0:2')).toEqual({ control: 'intel-rapl', indices: [0, 2] });
    expect(parseZoneId('intel-rapl-mmio:0')).toEqual({ control: 'intel-rapl-mmio', indices: [0] });
  });

  it('is not fooled by the control-type directory or attribute files', () => {
    for (const name of ['intel-rapl', 'intel-rapl-mmio', 'energy_uj', 'intel-rapl:', 'intel-rapl:0:', 'dtpm:0', 'intel-rapl:g']) {
      expect(parseZoneId(name)).toBeUndefined();
    }
  });

  it('names parents', () => {
    expect(parentZoneId('intel-rapl:0:1')).toBe('intel-rapl:0');
    expect(parentZoneId('intel-rapl:0')).toBeUndefined();
  });
});
