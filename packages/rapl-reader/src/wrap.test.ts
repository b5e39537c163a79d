import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { wrapDelta } from './wrap.js';

// The ranges real machines report, as tools/fixtures/powercap/README.md lists them with their sources.
const INTEL = 262143328850;
const SERVER_DRAM = 65712999613;
const AMD = 65532610987;
const SPR_PSYS = 4294967295000000;

describe('wrapDelta', () => {
  it('is a plain difference when the counter rose, and 0 when it did not move', () => {
    expect(wrapDelta(100, 250, INTEL)).toBe(150);
    expect(wrapDelta(100, 100, INTEL)).toBe(0);
    expect(wrapDelta(100, 100, null)).toBe(0);
  });

  it.each([INTEL, SERVER_DRAM, AMD, SPR_PSYS])('corrects one wrap at a range of %d', (max) => {
    expect(wrapDelta(max - 1000, 500, max)).toBe(1500);
  });

  it('treats a decrease without a usable range as a reset', () => {
    expect(wrapDelta(500, 100, null)).toBeNull();
    expect(wrapDelta(500, 100, 0)).toBeNull();
    // a reading above the range proves the range wrong
    expect(wrapDelta(5000, 100, 1000)).toBeNull();
  });

  const range = fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER });

  it('recovers any single increment smaller than the range (property)', () => {
    fc.assert(
      fc.property(
        range.chain((max) => fc.tuple(fc.constant(max), fc.integer({ min: 0, max }), fc.integer({ min: 0, max: max - 1 }))),
        ([max, prev, increment]) => {
          // the kernel's counter runs from 0 to max, then starts again at 0
          const cur = increment <= max - prev ? prev + increment : increment - (max - prev);
          expect(wrapDelta(prev, cur, max)).toBe(increment);
        },
      ),
    );
  });

  it('is never negative and never more than the range (property)', () => {
    fc.assert(
      fc.property(
        range.chain((max) => fc.tuple(fc.constant(max), fc.integer({ min: 0, max }), fc.integer({ min: 0, max }))),
        ([max, prev, cur]) => {
          const delta = wrapDelta(prev, cur, max);
          expect(delta).not.toBeNull();
          expect(delta!).toBeGreaterThanOrEqual(0);
          expect(delta!).toBeLessThanOrEqual(max);
        },
      ),
    );
  });

  it('without a range, never reports anything for a decrease (property)', () => {
    fc.assert(
      fc.property(fc.nat(), fc.nat(), (a, b) => {
        const [prev, cur] = a > b ? [a, b] : [b + 1, a];
        expect(wrapDelta(prev, cur, null)).toBeNull();
      }),
    );
  });
});
