import { describe, expect, it } from 'vitest';
import { checkStackedExpressions, checkZoneArithmetic, fixtureLayouts, overlapReason } from './zone-check.js';

const layouts = fixtureLayouts();

describe('overlapReason', () => {
  const pkg = { zone: 'package_0', package: '0', id: 'intel-rapl:0' };
  const core = { zone: 'core', package: '0', id: 'intel-rapl:0:0' };
  const dram = { zone: 'dram', package: '0', id: 'intel-rapl:0:2' };
  const psys = { zone: 'psys', id: 'intel-rapl:1' };
  const pkg1 = { zone: 'package_1', package: '1', id: 'intel-rapl:1' };
  const pkg10 = { zone: 'package_10', package: '10', id: 'intel-rapl:a' };

  it('finds a zone twice, a package with its subzones, and psys with anything', () => {
    expect(overlapReason(core, core)).toMatch(/twice/);
    expect(overlapReason(pkg, core)).toMatch(/own subzone core/);
    expect(overlapReason(dram, pkg)).toMatch(/own subzone dram/);
    expect(overlapReason(psys, dram)).toMatch(/psys/);
  });

  it('lets sockets, and a socket with another socket’s subzone, add up', () => {
    expect(overlapReason(pkg, pkg10)).toBeUndefined();
    expect(overlapReason({ ...core, id: 'intel-rapl:0:0' }, { zone: 'core', package: '1', id: 'intel-rapl:1:0' })).toBeUndefined();
    expect(overlapReason(core, dram)).toBeUndefined();
    expect(overlapReason(pkg1, { zone: 'dram', package: '0', id: 'intel-rapl:0:0' })).toBeUndefined();
  });
});

describe('checkZoneArithmetic', () => {
  it('runs against every fixture tree and a multi-die layout', () => {
    expect(layouts.map((l) => l.name)).toEqual(expect.arrayContaining(['intel-laptop-psys-symlinks', 'xeon-2socket-dram', 'synthetic multi-die package']));
  });

  it.each([
    'rapl_power_watts',
    'rapl_power_watts{zone=~"core|uncore|dram"}',
    'sum by (instance) (rapl_power_watts{instance=~".*", zone=~"package_.*"})',
    'sum by (zone, package) (rate(rapl_energy_joules_total[5m]))',
    'sum without (instance, job) (rapl_power_watts)',
    'increase(rapl_energy_joules_total{zone=~"package_.*|psys"}[1h]) / 3600',
    'sum by (instance) (increase(rapl_energy_joules_total{zone=~"package_.*"}[1h])) / 3600',
    'sum without (zone) (rapl_power_watts{zone="dram"})',
    'sum(rapl_power_watts{zone=~"core|uncore"})',
    'rapl_power_watts{zone="package_0"} - on(package) rapl_power_watts{zone="core"}',
    'count(rapl_power_watts)',
    'max(rapl_power_watts)',
    'sum(node_rapl_package_joules_total) + sum(node_rapl_core_joules_total)',
    'histogram_quantile(0.99, sum by (le) (rate(cpu_exporter_sampler_lag_seconds_bucket[1m])))',
    'sum(rapl_power_watts{zone=~"package_.*"}) or vector(0)',
    'sum by (instance, pid, comm) (rate(energy_process_cpu_joules_total{zone=~"package_.*"}[1m]))',
    'sum by (instance, cgroup) (increase(energy_cgroup_cpu_joules_total{zone=~"package_.*"}[1h]))',
  ])('accepts %s', (expr) => {
    expect(checkZoneArithmetic(expr, layouts)).toEqual([]);
  });

  it.each([
    ['sum(rapl_power_watts)', /own subzone|psys/],
    ['sum by (package) (rapl_power_watts)', /package_0 \(package 0\) to its own subzone core/],
    ['sum by (instance) (increase(rapl_energy_joules_total{zone=~"package_.*|psys"}[1h]))', /adds psys/],
    ['sum(increase(rapl_energy_joules_total{zone!="dram"}[1h]))', /own subzone core/],
    ['sum(rapl_power_watts{zone=~"package_.*"}) + sum(rapl_power_watts{zone="dram"})', /^\+ adds package_\d \(package \d\) to its own subzone dram/],
    ['rapl_power_watts{zone="core"} + rapl_power_watts{zone="core"}', /counts zone core \(package 0\) twice/],
    ['sum(rapl_power_watts{zone=~"core|uncore"}) + on() sum(rapl_power_watts{zone="core"})', /counts zone core \(package 0\) twice/],
    ['sum(rapl_power_watts{zone=~"package_.*"} or rapl_power_watts{zone="psys"})', /adds psys/],
    ['sum(rapl_power_watts{zone=~"package_0|package_0_die_0", package="0"}) + sum(rapl_power_watts{zone="package_0"})', /twice/],
    // The attribution's counters split a zone: summing them over zones double-counts as RAPL's would.
    ['sum by (pid) (increase(energy_process_cpu_joules_total[1h]))', /own subzone|psys/],
    ['sum by (instance) (rate(energy_node_cpu_active_joules_total{zone=~"package_.*|psys"}[1m]))', /adds psys/],
  ])('rejects %s', (expr, message) => {
    const problems = checkZoneArithmetic(expr, layouts);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.map((p) => p.message)).toContainEqual(expect.stringMatching(message));
  });

  it('reports only the layouts where zones overlap', () => {
    // The xeon has no core or psys: package + dram is its only overlap.
    const problems = checkZoneArithmetic('sum by (package) (rapl_power_watts{zone=~"package_.*|core"})', layouts);
    expect(new Set(problems.map((p) => p.layout))).toEqual(new Set(['amd-epyc-7401p', 'intel-laptop-psys-symlinks', 'kepler-mmio-duplicate', 'procfs-intel-hex-id']));
  });

  it('rejects what does not parse', () => {
    expect(checkZoneArithmetic('sum(rapl_power_watts{zone=~"package_.*"}', layouts)[0]?.message).toMatch(/does not parse/);
  });
});

describe('checkStackedExpressions', () => {
  it('rejects stacking a package with its core, accepts stacking disjoint subzones', () => {
    expect(checkStackedExpressions(['rapl_power_watts{zone=~"package_.*"}', 'rapl_power_watts{zone="core"}'], layouts).length).toBeGreaterThan(0);
    expect(checkStackedExpressions(['rapl_power_watts{zone=~"core|uncore|dram"}'], layouts)).toEqual([]);
  });
});
