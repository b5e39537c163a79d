import { gunzipSync } from 'node:zlib';
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { formatTargetsLine, parseTargetsLine, serveStaticTargets, type StaticTargets } from './static-targets.js';

/** A raw GET (fetch would decompress for us and hide whether the body was gzipped). */
function get(target: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; encoding?: string; body: Buffer }> {
  const [host, port] = target.split(':');
  return new Promise((resolve, reject) => {
    request({ host, port: Number(port), path, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode!, encoding: response.headers['content-encoding'], body: Buffer.concat(chunks) }));
    })
      .on('error', reject)
      .end();
  });
}

let served: StaticTargets | undefined;
afterEach(async () => {
  await served?.close();
  served = undefined;
});

describe('serveStaticTargets', () => {
  const body = 'rapl_power_watts{zone="package_0",package="0"} 12.5\nrapl_available 1\n';

  it('serves the body as /metrics on as many distinct ports as asked, gzipped when the scraper asks', async () => {
    served = await serveStaticTargets({ body, count: 3 });
    expect(new Set(served.targets).size).toBe(3);
    for (const target of served.targets) {
      const plain = await get(target, '/metrics');
      expect([plain.status, plain.encoding, plain.body.toString()]).toEqual([200, undefined, body]);
      const gzipped = await get(target, '/metrics', { 'accept-encoding': 'gzip, deflate' });
      expect(gzipped.encoding).toBe('gzip');
      expect(gunzipSync(gzipped.body).toString()).toBe(body);
      expect((await get(target, '/other')).status).toBe(404);
    }
  });

  it('closes every port', async () => {
    const { targets, close } = await serveStaticTargets({ body, count: 2 });
    await close();
    await expect(get(targets[0]!, '/metrics')).rejects.toThrow(/ECONNREFUSED/);
  });
});

describe('the listening line', () => {
  it('round-trips any list of host:port targets', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.ipV4(), fc.integer({ min: 1, max: 65535 })).map(([h, p]) => `${h}:${p}`), { minLength: 1, maxLength: 20 }), (targets) => {
        expect(parseTargetsLine(`ts=x level=info ${formatTargetsLine(targets)}`)).toEqual(targets);
      }),
    );
  });

  it('is not any other line', () => {
    expect(parseTargetsLine('msg=listening address=http://127.0.0.1:9510')).toBeUndefined();
    expect(parseTargetsLine('usage: static-targets-cli --body FILE --count N')).toBeUndefined();
  });
});
