import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseKernelInteger } from './integer.js';

const fail = (value: string, problem: string) => Object.assign(new Error(problem), { value });

describe('parseKernelInteger', () => {
  it('reads a decimal integer with the newline and spaces around it', () => {
    expect(parseKernelInteger('123456\n', fail)).toBe(123456);
    expect(parseKernelInteger(' 0 ', fail)).toBe(0);
    expect(parseKernelInteger(`${Number.MAX_SAFE_INTEGER}`, fail)).toBe(Number.MAX_SAFE_INTEGER);
  });

  it.each([
    ['', 'empty value', ''],
    [' \n', 'empty value', ''],
    ['-5\n', 'negative value', '-5'],
    ['12a', 'not an integer', '12a'],
    ['1.5', 'not an integer', '1.5'],
    ['0x10', 'not an integer', '0x10'],
    ['9007199254740993', 'value beyond 2^53', '9007199254740993'],
  ])('%j is refused: %s', (text, problem, value) => {
    expect(() => parseKernelInteger(text, fail)).toThrow(expect.objectContaining({ message: problem, value }));
  });

  it('round-trips every safe non-negative integer', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), (n) => parseKernelInteger(`${n}\n`, fail) === n));
  });
});
