import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeValue, numberOf, textOf } from './value.js';

// Any UTF-16 code unit, lone surrogates and control characters included (harsher than fast-check's 'binary' unit,
// without its ~2 s first-use cost).
const anyCodeUnit = fc.nat(0xffff).map((code) => String.fromCharCode(code));

describe('decodeValue', () => {
  it.each([
    ['71.15 W', 'W', 71.15, 'W'],
    ['71.15', 'W', 71.15, 'W'], // nounits: the header's unit
    ['81559 MiB', 'MiB', 81559, 'MiB'],
    ['100 %', '%', 100, '%'],
    ['100.00 %', '%', 100, '%'],
    ['212553937 us', 'us', 212553937, 'us'],
    ['1980 MHz', undefined, 1980, 'MHz'], // noheader with units: the cell's unit
    ['42', undefined, 42, undefined],
    ['0', undefined, 0, undefined],
    ['2.1', undefined, 2.1, undefined],
    ['-3', undefined, -3, undefined],
  ])('reads %j (header unit %j) as the number %d %s', (text, headerUnit, value, unit) => {
    expect(decodeValue(text, headerUnit)).toEqual({ kind: 'number', value, unit, text });
  });

  it.each([
    ['[N/A]', 'not_available'],
    ['N/A', 'not_available'],
    ['[Not Supported]', 'not_supported'],
    ['[Insufficient Permissions]', 'insufficient_permissions'],
    ['[Unknown Error]', 'unknown_error'],
    ['[GPU is lost]', 'gpu_lost'],
    ['[GPU requires reset]', 'gpu_requires_reset'],
    ['[Requested functionality has been deprecated]', 'deprecated'],
    ['[Driver/library version mismatch]', 'other'],
  ])('reads %j as absent (%s), never as a number', (text, reason) => {
    const decoded = decodeValue(text, 'W');
    expect(decoded).toEqual({ kind: 'absent', reason, text });
    expect(numberOf(decoded)).toBeUndefined();
    expect(textOf(decoded)).toBeUndefined();
  });

  it('reads hex as a bigint, 64-bit masks included', () => {
    expect(decodeValue('0x00000000000001FF')).toEqual({ kind: 'hex', value: 0x1ffn, text: '0x00000000000001FF' });
    expect(decodeValue('0xFFFFFFFFFFFFFFFF')).toMatchObject({ kind: 'hex', value: 0xffffffffffffffffn });
    expect(numberOf(decodeValue('0x233010DE'))).toBe(0x233010de);
    expect(numberOf(decodeValue('0xFFFFFFFFFFFFFFFF'))).toBeUndefined();
  });

  it('reads Enabled / Disabled as booleans', () => {
    expect(decodeValue('Enabled')).toEqual({ kind: 'enabled', value: true, text: 'Enabled' });
    expect(decodeValue('Disabled')).toEqual({ kind: 'enabled', value: false, text: 'Disabled' });
  });

  it.each([
    'NVIDIA H100 80GB HBM3',
    'GPU-00000000-0000-0000-0000-000000000000',
    '00000000:00:09.0',
    '0000000000000', // a masked serial: leading zeros mean it is not a number
    '590.48.01',
    '96.00.A5.00.01',
    'P8',
    'Not Active',
    'Direct Connected',
    '2026/07/14 09:00:27.792',
    '',
    '[]',
    '1e6',
    '12 W extra',
  ])('keeps %j as text', (text) => {
    const decoded = decodeValue(text);
    expect(decoded).toEqual({ kind: 'text', value: text, text });
    expect(textOf(decoded)).toBe(text);
    expect(numberOf(decoded)).toBeUndefined();
  });

  it('keeps a cell whose unit contradicts the header as text', () => {
    expect(decodeValue('1980 MHz', 'W')).toEqual({ kind: 'text', value: '1980 MHz', text: '1980 MHz' });
  });

  it('keeps the printed text of every cell and never throws (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: anyCodeUnit }), fc.option(fc.constantFrom('W', 'MiB', '%', 'MHz'), { nil: undefined }), (text, unit) => {
        expect(decodeValue(text, unit).text).toBe(text);
      }),
    );
  });

  it('round-trips every number printed as nvidia-smi prints it (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000_000 }), fc.integer({ min: 0, max: 2 }), fc.constantFrom('W', 'MiB', '%', 'MHz', 'us'), (hundredths, decimals, unit) => {
        const text = (hundredths / 100).toFixed(decimals);
        expect(numberOf(decodeValue(`${text} ${unit}`, unit))).toBe(Number(text));
        expect(decodeValue(text, unit)).toEqual({ kind: 'number', value: Number(text), unit, text });
      }),
    );
  });
});
