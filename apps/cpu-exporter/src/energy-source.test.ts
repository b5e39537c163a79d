import { describe, expect, it } from 'vitest';
import type { EnergyInterval, TickEnergy } from './collector.js';
import { createBestEnergySource, type CandidateSource } from './energy-source.js';

/** A producer whose liveness and intervals the test sets. */
function producer(source: EnergyInterval['source']) {
  const state = { live: false, tickIndex: -1, joules: [] as number[] };
  const candidate: CandidateSource = {
    live: () => state.live,
    lastIntervals: (): TickEnergy => ({
      tickIndex: state.tickIndex,
      intervals: state.joules.map((deltaJoules, i) => ({ source, id: `${source}:${i}`, zone: source === 'estimate' ? 'cpu' : `package_${i}`, deltaJoules, intervalMs: 1000 })),
    }),
  };
  return { state, candidate };
}

function setup() {
  const rapl = producer('rapl');
  const hwmon = producer('hwmon');
  const estimate = producer('estimate');
  let ipmiLive = false;
  const best = createBestEnergySource({
    candidates: [
      { name: 'rapl', source: rapl.candidate },
      { name: 'hwmon', source: hwmon.candidate },
      { name: 'estimate', source: estimate.candidate },
    ],
    others: [{ name: 'ipmi', live: () => ipmiLive }],
  });
  /** Every producer sampled tick `index`, then the selector. */
  const tick = (index: number) => {
    for (const p of [rapl, hwmon, estimate]) p.state.tickIndex = index;
    best.sample({ index } as never);
  };
  return { rapl, hwmon, estimate, best, tick, setIpmi: (live: boolean) => (ipmiLive = live) };
}

describe('best energy source', () => {
  it('hands on rapl when it is live, else hwmon socket energy, else the estimate, with its own tick index', () => {
    const { rapl, hwmon, estimate, best, tick } = setup();
    estimate.state.live = true;
    estimate.state.joules = [3];
    hwmon.state.joules = [5];
    rapl.state.joules = [7, 8];
    tick(0);
    expect(best.chosen()).toBe('estimate');
    expect(best.lastIntervals()).toEqual({ tickIndex: 0, intervals: [expect.objectContaining({ source: 'estimate', zone: 'cpu', deltaJoules: 3 })] });
    hwmon.state.live = true;
    tick(1);
    expect(best.chosen()).toBe('hwmon');
    expect(best.lastIntervals().intervals.map((i) => i.deltaJoules)).toEqual([5]);
    rapl.state.live = true;
    tick(2);
    expect(best.chosen()).toBe('rapl');
    expect(best.lastIntervals()).toMatchObject({ tickIndex: 2, intervals: [{ source: 'rapl', deltaJoules: 7 }, { source: 'rapl', deltaJoules: 8 }] });
  });

  it('keeps a live source through a tick without intervals (first reading, reset) rather than switching the source label', () => {
    const { rapl, estimate, best, tick } = setup();
    rapl.state.live = true;
    estimate.state.live = true;
    estimate.state.joules = [3];
    tick(0); // rapl's first reading: no interval yet
    expect(best.chosen()).toBe('rapl');
    expect(best.lastIntervals()).toEqual({ tickIndex: 0, intervals: [] });
  });

  it('keeps a source that misses a tick or three, handing on nothing for them, then falls back; a better one takes over at once', () => {
    const { rapl, hwmon, estimate, best, tick } = setup();
    hwmon.state.live = true;
    hwmon.state.joules = [5];
    estimate.state.live = true;
    estimate.state.joules = [3];
    tick(0);
    expect(best.chosen()).toBe('hwmon');
    hwmon.state.live = false; // the socket counter unreadable
    for (const index of [1, 2, 3]) {
      tick(index);
      expect(best.chosen(), `tick ${index}`).toBe('hwmon');
      expect(best.lastIntervals(), `tick ${index}`).toEqual({ tickIndex: index, intervals: [] });
    }
    tick(4); // a fourth tick not live: past the grace
    expect(best.chosen()).toBe('estimate');
    expect(best.lastIntervals().intervals.map((i) => i.deltaJoules)).toEqual([3]);
    hwmon.state.live = true;
    tick(5);
    expect(best.chosen()).toBe('hwmon');
    rapl.state.live = true; // never live before: no grace to wait out, it is better, it takes over
    rapl.state.joules = [7];
    tick(6);
    expect(best.chosen()).toBe('rapl');
    expect(best.lastIntervals().intervals.map((i) => i.deltaJoules)).toEqual([7]);
  });

  it('chooses a source never live only once it is live (no grace before the first reading)', () => {
    const { estimate, best, tick } = setup();
    tick(0);
    expect(best.chosen()).toBeUndefined();
    estimate.state.live = true;
    tick(1);
    expect(best.chosen()).toBe('estimate');
  });

  it('hands on nothing stale from a producer that did not sample this tick', () => {
    const { estimate, best } = setup();
    estimate.state.live = true;
    estimate.state.joules = [3];
    estimate.state.tickIndex = 4;
    best.sample({ index: 5 } as never);
    expect(best.lastIntervals()).toEqual({ tickIndex: 5, intervals: [] });
  });

  it('says on /health which sources are live and which one attribution uses; IPMI is listed, never chosen', () => {
    const { estimate, best, tick, setIpmi } = setup();
    setIpmi(true);
    tick(0);
    expect(best.health()).toEqual({ status: 'ok', reasons: [], details: { power_sources: { live: ['ipmi'], not_live: ['rapl', 'hwmon', 'estimate'], attribution: null } } });
    estimate.state.live = true;
    tick(1);
    expect(best.health().details).toEqual({ power_sources: { live: ['estimate', 'ipmi'], not_live: ['rapl', 'hwmon'], attribution: 'estimate' } });
  });
});
