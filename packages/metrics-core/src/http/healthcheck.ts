/** Where a running exporter listens. */
export interface HealthcheckTarget {
  readonly host: string;
  readonly port: number;
  readonly timeoutMs?: number;
}

/**
 * Asks the exporter at host:port for /health (a wildcard host is asked on loopback) and returns the exit status
 * for a container healthcheck: 0 for 200 (ok or degraded), 1 for anything else, with one line saying why.
 * Lets minimal images run `cpu_exporter --healthcheck` instead of shipping curl.
 */
export async function runHealthcheck(target: HealthcheckTarget, write: (line: string) => void = (l) => process.stdout.write(l)): Promise<number> {
  const host = target.host === '0.0.0.0' ? '127.0.0.1' : target.host === '::' ? '[::1]' : target.host.includes(':') ? `[${target.host}]` : target.host;
  const url = `http://${host}:${target.port}/health`;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(target.timeoutMs ?? 3000) });
    const body = (await res.text()).slice(0, 500);
    write(`${url}: ${res.status} ${body}\n`);
    return res.status === 200 ? 0 : 1;
  } catch (error) {
    const why = error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error);
    write(`${url}: ${why}\n`);
    return 1;
  }
}
