import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { infraPaths } from './paths.js';
import { parseEnvFile, readVictoriaMetricsFlagsEnv, SCRAPE_JOBS, targetFileContent, writeStackConfig } from './scrape-config.js';

describe('targetFileContent', () => {
  it('writes one file_sd group, or none', () => {
    expect(JSON.parse(targetFileContent(['127.0.0.1:9510'], { stack: 'local' }))).toEqual([{ targets: ['127.0.0.1:9510'], labels: { stack: 'local' } }]);
    expect(JSON.parse(targetFileContent([], { stack: 'local' }))).toEqual([]);
  });
});

describe('parseEnvFile', () => {
  it('reads KEY=VALUE lines, skipping comments and blanks, keeping = in values', () => {
    expect(parseEnvFile('# c\n\nA=1\n  B=x=y  \n')).toEqual({ A: '1', B: 'x=y' });
  });
  it('names the line that is not KEY=VALUE', () => {
    expect(() => parseEnvFile('A=1\noops\n')).toThrow(/line 2/);
  });
  it('reads the shared VictoriaMetrics flags: 30 days, all VM_-prefixed', () => {
    const env = readVictoriaMetricsFlagsEnv();
    expect(env.VM_retentionPeriod).toBe('30d');
    expect(Object.keys(env).every((k) => k.startsWith('VM_'))).toBe(true);
  });
});

describe('writeStackConfig', () => {
  it('copies the committed configs unchanged and writes local target files for every job', () => {
    const dir = mkdtempSync(join(tmpdir(), 'stack-config-'));
    try {
      const files = writeStackConfig(dir, { 'cpu-exporter': ['127.0.0.1:1234'] });
      expect(readFileSync(files.vmScrapeConfig, 'utf8')).toBe(readFileSync(infraPaths.vmScrapeConfig, 'utf8'));
      expect(readFileSync(files.prometheusConfig, 'utf8')).toBe(readFileSync(infraPaths.prometheusConfig, 'utf8'));
      for (const job of SCRAPE_JOBS) {
        const groups = JSON.parse(readFileSync(join(files.targetsDir, `${job}.json`), 'utf8')) as unknown[];
        expect(groups).toEqual(job === 'cpu-exporter' ? [{ targets: ['127.0.0.1:1234'], labels: { stack: 'local' } }] : []);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
