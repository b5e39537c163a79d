import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findBinary } from './binaries.js';
import { repoRoot } from './paths.js';
import { envWithFlags, startHttpService, type Service } from './process.js';
import { parseEnvFile } from './scrape-config.js';

/** The committed rules (infra/rules), loaded by Prometheus (`rule_files`) and by vmalert (`-rule`). */
export const rulesPaths = {
  dir: join(repoRoot, 'infra/rules'),
  testsDir: join(repoRoot, 'infra/rules/tests'),
  vmalertFlagsEnv: join(repoRoot, 'infra/rules/vmalert.env'),
} as const;

/** The rule files of `dir` (`*.yml`, not the tests below it), sorted. */
export function ruleFiles(dir: string = rulesPaths.dir): string[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith('.yml'))
    .sort()
    .map((name) => join(dir, name));
}

/** Options for startVmalert. */
export interface StartVmalertOptions {
  readonly port: number;
  readonly host?: string;
  /** Rule files; every infra/rules/*.yml by default. */
  readonly ruleFiles?: readonly string[];
  /** Where it queries: VictoriaMetrics' (or Prometheus') base URL. */
  readonly datasourceUrl: string;
  /** Where recording rules and alert state are written: VictoriaMetrics' base URL. */
  readonly remoteWriteUrl?: string;
  /** Where alert state is restored from after a restart. */
  readonly remoteReadUrl?: string;
  /** An Alertmanager (API v2); vmalert refuses alerting rules without one. */
  readonly notifierUrl: string;
  readonly logFile: string;
  /** The shared flags (VMALERT_* variables); infra/rules/vmalert.env by default. */
  readonly flagsEnvFile?: string;
  readonly extraFlags?: readonly string[];
  readonly binary?: string;
  readonly readyTimeoutMs?: number;
}

/** A running vmalert. */
export interface RunningVmalert {
  readonly url: string;
  readonly service: Service;
  stop(): Promise<void>;
}

/** Starts vmalert on the rule files with the shared flags of infra/rules/vmalert.env and waits for /health. */
export async function startVmalert(options: StartVmalertOptions): Promise<RunningVmalert> {
  const host = options.host ?? '127.0.0.1';
  return startHttpService({
    name: 'vmalert',
    command: options.binary ?? findBinary('vmalert'),
    args: [
      '-envflag.enable',
      '-envflag.prefix=VMALERT_',
      `-httpListenAddr=${host}:${options.port}`,
      ...(options.ruleFiles ?? ruleFiles()).map((file) => `-rule=${file}`),
      `-datasource.url=${options.datasourceUrl}`,
      ...(options.remoteWriteUrl ? [`-remoteWrite.url=${options.remoteWriteUrl}`] : []),
      ...(options.remoteReadUrl ? [`-remoteRead.url=${options.remoteReadUrl}`] : []),
      `-notifier.url=${options.notifierUrl}`,
      ...(options.extraFlags ?? []),
    ],
    env: envWithFlags('VMALERT_', parseEnvFile(readFileSync(options.flagsEnvFile ?? rulesPaths.vmalertFlagsEnv, 'utf8'))),
    logFile: options.logFile,
    url: `http://${host}:${options.port}`,
    readyPath: '/health',
    readyTimeoutMs: options.readyTimeoutMs ?? 30_000,
  });
}
