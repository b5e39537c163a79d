import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPromApi, matrixOf, PromApiError, sampleSpacing, vectorOf } from './prom-api.js';

describe('sampleSpacing', () => {
  it('measures count and the smallest and largest step', () => {
    expect(sampleSpacing([[10, '1'], [11, '2'], [13, '3']])).toEqual({ count: 3, minStepSeconds: 1, maxStepSeconds: 2, firstSeconds: 10, lastSeconds: 13 });
    expect(sampleSpacing([[10, '1']]).maxStepSeconds).toBeNaN();
  });
});

describe('createPromApi', () => {
  let server: Server;
  let base = '';
  const seen: string[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push(req.url ?? '');
      const url = new URL(req.url ?? '/', 'http://x');
      res.setHeader('content-type', 'application/json');
      if (url.searchParams.get('query') === 'bad(') {
        res.statusCode = 400;
        res.end(JSON.stringify({ status: 'error', errorType: 'bad_data', error: 'parse error' }));
      } else if (url.pathname === '/api/v1/query') {
        res.end(JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [{ metric: { a: '1' }, value: [1, '2'] }] } }));
      } else if (url.pathname === '/api/v1/targets') {
        res.end(JSON.stringify({ status: 'success', data: { activeTargets: [{ labels: { job: 'j' }, scrapeUrl: 'u', health: 'up', lastError: '' }] } }));
      } else {
        res.statusCode = 404;
        res.end('404 page not found');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('queries with extra parameters and reads vectors and targets', async () => {
    const api = createPromApi(`${base}/`, { extraParams: { nocache: '1' } });
    expect(vectorOf(await api.query('up', { time: 12.5 }))).toEqual([{ metric: { a: '1' }, value: [1, '2'] }]);
    expect(seen.at(-1)).toBe('/api/v1/query?query=up&time=12.5&nocache=1');
    expect(await api.targets()).toHaveLength(1);
    expect(() => matrixOf({ resultType: 'vector', result: [] })).toThrow(/expected a matrix/);
  });

  it('turns API errors and non-JSON answers into PromApiError', async () => {
    const api = createPromApi(base);
    await expect(api.query('bad(')).rejects.toMatchObject({ name: 'PromApiError', status: 400, errorType: 'bad_data' });
    await expect(api.labelValues('x')).rejects.toBeInstanceOf(PromApiError);
  });
});
