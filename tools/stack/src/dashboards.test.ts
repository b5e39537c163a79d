import { describe, expect, it } from 'vitest';
import { builtinVariables, isStacked, panelsOf, substituteVariables } from './dashboards.js';

describe('substituteVariables', () => {
  it('replaces built-ins, $var, ${var} and [[var]], and unknown dashboard variables with .*', () => {
    const values = builtinVariables(60);
    expect(substituteVariables('increase(x{i=~"$instance"}[$__range]) / $__range_s', values)).toBe('increase(x{i=~".*"}[60s]) / 60');
    expect(substituteVariables('rate(x{g=~"${gpu}", h=~"[[host]]"}[$__rate_interval])', values)).toBe('rate(x{g=~".*", h=~".*"}[4s])');
    expect(builtinVariables(300, 5).__rate_interval).toBe('20s');
  });
});

describe('panelsOf and isStacked', () => {
  it('flattens rows, collapsed ones included, and reads the stacking mode', () => {
    const panels = panelsOf({
      panels: [
        { type: 'row', panels: [{ type: 'stat', id: 2 }] },
        { type: 'timeseries', id: 3, fieldConfig: { defaults: { custom: { stacking: { mode: 'normal' } } } } },
      ],
    });
    expect(panels.map((p) => p.id)).toEqual([2, 3]);
    expect(panels.map(isStacked)).toEqual([false, true]);
  });
});
