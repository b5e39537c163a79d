import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findBinary } from './binaries.js';
import { repoRoot } from './paths.js';
import { envWithFlags, startHttpService, type Service } from './process.js';
import { parseEnvFile } from './scrape-config.js';

/** The committed vmagent configuration (infra/vmagent): the per-rack agent. */
export const vmagentPaths = {
  scrapeConfig: join(repoRoot, 'infra/vmagent/scrape.yml'),
  flagsEnv: join(repoRoot, 'infra/vmagent/vmagent.env'),
} as const;

/** Which share of the targets an agent scrapes: `-promscrape.cluster.membersCount` / `memberNum`. */
export interface VmagentShard {
  readonly membersCount: number;
  readonly memberNum: number;
}

/** Options for startVmagent. */
export interface StartVmagentOptions {
  readonly port: number;
  readonly host?: string;
  readonly scrapeConfig: string;
  /** Where it remote-writes: `http://HOST:PORT/api/v1/write`. */
  readonly remoteWriteUrl: string;
  /** The on-disk buffer (`-remoteWrite.tmpDataPath`); kept across restarts of the agent. */
  readonly tmpDataPath: string;
  readonly shard?: VmagentShard;
  readonly logFile: string;
  /** The shared flags (VMAGENT_* variables); infra/vmagent/vmagent.env by default. */
  readonly flagsEnvFile?: string;
  /** More flags, which win over the env file. */
  readonly extraFlags?: readonly string[];
  readonly binary?: string;
  readonly readyTimeoutMs?: number;
}

/** A running vmagent. */
export interface RunningVmagent {
  readonly url: string;
  readonly service: Service;
  stop(): Promise<void>;
}

/** The command line of a vmagent, without the binary: shared flags through -envflag, then this agent's. Pure. */
export function vmagentArgs(options: Omit<StartVmagentOptions, 'logFile' | 'binary' | 'readyTimeoutMs' | 'flagsEnvFile'>): string[] {
  const host = options.host ?? '127.0.0.1';
  return [
    '-envflag.enable',
    '-envflag.prefix=VMAGENT_',
    `-httpListenAddr=${host}:${options.port}`,
    `-promscrape.config=${options.scrapeConfig}`,
    `-remoteWrite.url=${options.remoteWriteUrl}`,
    `-remoteWrite.tmpDataPath=${options.tmpDataPath}`,
    ...(options.shard
      ? [`-promscrape.cluster.membersCount=${options.shard.membersCount}`, `-promscrape.cluster.memberNum=${options.shard.memberNum}`]
      : []),
    ...(options.extraFlags ?? []),
  ];
}

/** Starts vmagent with the shared flags of infra/vmagent/vmagent.env and waits for /health. */
export async function startVmagent(options: StartVmagentOptions): Promise<RunningVmagent> {
  mkdirSync(options.tmpDataPath, { recursive: true });
  return startHttpService({
    name: options.shard ? `vmagent-${options.shard.memberNum}` : 'vmagent',
    command: options.binary ?? findBinary('vmagent'),
    args: vmagentArgs(options),
    env: envWithFlags('VMAGENT_', parseEnvFile(readFileSync(options.flagsEnvFile ?? vmagentPaths.flagsEnv, 'utf8'))),
    logFile: options.logFile,
    url: `http://${options.host ?? '127.0.0.1'}:${options.port}`,
    readyPath: '/health',
    readyTimeoutMs: options.readyTimeoutMs ?? 30_000,
  });
}
