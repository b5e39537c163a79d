import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseEnvFile } from './scrape-config.js';
import { vmagentArgs, vmagentPaths } from './vmagent.js';

describe('vmagentArgs', () => {
  const base = { port: 8429, scrapeConfig: '/etc/vmagent/scrape.yml', remoteWriteUrl: 'http://vm:8428/api/v1/write', tmpDataPath: '/var/lib/vmagent' };

  it('reads the shared flags from the env file, then names this agent’s address, config, store and buffer', () => {
    expect(vmagentArgs(base)).toEqual([
      '-envflag.enable',
      '-envflag.prefix=VMAGENT_',
      '-httpListenAddr=127.0.0.1:8429',
      '-promscrape.config=/etc/vmagent/scrape.yml',
      '-remoteWrite.url=http://vm:8428/api/v1/write',
      '-remoteWrite.tmpDataPath=/var/lib/vmagent',
    ]);
  });

  it('adds its shard, then the extra flags last (they win)', () => {
    expect(vmagentArgs({ ...base, host: '0.0.0.0', shard: { membersCount: 3, memberNum: 2 }, extraFlags: ['-remoteWrite.flushInterval=5s'] }).slice(2)).toEqual([
      '-httpListenAddr=0.0.0.0:8429',
      '-promscrape.config=/etc/vmagent/scrape.yml',
      '-remoteWrite.url=http://vm:8428/api/v1/write',
      '-remoteWrite.tmpDataPath=/var/lib/vmagent',
      '-promscrape.cluster.membersCount=3',
      '-promscrape.cluster.memberNum=2',
      '-remoteWrite.flushInterval=5s',
    ]);
  });
});

describe('infra/vmagent', () => {
  it('scrapes the exporter jobs every second, within the second, from file_sd target lists', () => {
    const config = parse(readFileSync(vmagentPaths.scrapeConfig, 'utf8')) as { global: Record<string, string>; scrape_configs: Array<{ job_name: string; file_sd_configs: Array<{ files: string[] }> }> };
    expect(config.global).toEqual({ scrape_interval: '1s', scrape_timeout: '800ms' });
    expect(config.scrape_configs.map((j) => [j.job_name, j.file_sd_configs[0]!.files])).toEqual([
      ['cpu-exporter', ['targets/cpu-exporter.json']],
      ['gpu-exporter', ['targets/gpu-exporter.json']],
    ]);
  });

  it('shares only flags that are the same for every agent (nothing per agent, which the command line names)', () => {
    const flags = Object.keys(parseEnvFile(readFileSync(vmagentPaths.flagsEnv, 'utf8')));
    expect(flags.every((f) => f.startsWith('VMAGENT_'))).toBe(true);
    expect(flags).toContain('VMAGENT_remoteWrite_maxDiskUsagePerURL');
    for (const perAgent of ['httpListenAddr', 'remoteWrite_url', 'remoteWrite_tmpDataPath', 'promscrape_cluster_memberNum', 'remoteWrite_label']) {
      expect(flags).not.toContain(`VMAGENT_${perAgent}`);
    }
  });
});
