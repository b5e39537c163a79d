import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { errnoCode, errnoReason, KernelFileError, quoteValue } from './errors.js';

describe('errnoReason', () => {
  it.each([
    ['EACCES', 'permission_denied'],
    ['EPERM', 'permission_denied'],
    ['ENOENT', 'not_found'],
    ['ENOTDIR', 'not_found'],
    ['ENODEV', 'not_found'],
    ['ENXIO', 'not_found'],
    ['EIO', 'io_error'],
    ['ENODATA', 'no_data'],
    ['EFBIG', 'parse_error'],
    ['EAGAIN', 'other'],
    ['UNKNOWN', 'other'],
  ])('%s -> %s', (code, reason) => {
    expect(errnoReason(code)).toBe(reason);
  });
});

describe('errnoCode', () => {
  it('takes the code of an errno error, and UNKNOWN for anything else', () => {
    expect(errnoCode(Object.assign(new Error('x'), { code: 'EACCES' }))).toBe('EACCES');
    expect(errnoCode(new Error('no code'))).toBe('UNKNOWN');
    expect(errnoCode({ code: 13 })).toBe('UNKNOWN');
    expect(errnoCode(null)).toBe('UNKNOWN');
    expect(errnoCode('EACCES')).toBe('UNKNOWN');
  });
});

describe('quoteValue', () => {
  it('quotes a short value whole and a long one cut at 64 characters with its length', () => {
    expect(quoteValue('12a')).toBe('"12a"');
    expect(quoteValue('9'.repeat(100))).toBe(`"${'9'.repeat(64)}" (100 characters)`);
  });

  it('never grows past the quoted first 64 characters and a length', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 500 }), (value) => {
        const quoted = quoteValue(value);
        expect(quoted.startsWith(JSON.stringify(value.slice(0, 64)))).toBe(true);
        expect(quoted.length).toBeLessThanOrEqual(JSON.stringify(value.slice(0, 64)).length + ' (500 characters)'.length);
      }),
    );
  });
});

describe('KernelFileError', () => {
  it('is an Error with its file, reason and cause', () => {
    const cause = new Error('EIO');
    const error = new KernelFileError<'io_error'>('/sys/x: EIO', '/sys/x', 'io_error', { cause });
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ name: 'KernelFileError', file: '/sys/x', reason: 'io_error', message: '/sys/x: EIO' });
    expect(error.cause).toBe(cause);
  });
});
