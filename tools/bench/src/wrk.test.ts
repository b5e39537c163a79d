import { describe, expect, it } from 'vitest';
import { parseWrkDuration, parseWrkOutput } from './wrk.js';

// wrk 4.1 with --latency, as it prints it.
const REPORT = `Running 10s test @ http://127.0.0.1:9510/metrics
  1 threads and 50 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     2.03ms  410.12us  14.61ms   92.10%
    Req/Sec    24.71k     1.02k   26.00k    79.00%
  Latency Distribution
     50%    1.96ms
     75%    2.10ms
     90%    2.31ms
     99%    3.42ms
  245871 requests in 10.00s, 1.04GB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 4
Requests/sec:  24586.31
Transfer/sec:    106.12MB
`;

describe('parseWrkOutput', () => {
  it('reads throughput, latency percentiles and errors', () => {
    expect(parseWrkOutput(REPORT)).toEqual({
      requests: 245871,
      durationSeconds: 10,
      requestsPerSecond: 24586.31,
      okPerSecond: 24586.7,
      latencyMs: { mean: 2.03, max: 14.61, p50: 1.96, p99: 3.42 },
      errors: 7,
      non2xx: 4,
    });
  });

  it('says so when the report is not one', () => {
    expect(() => parseWrkOutput('unable to connect to 127.0.0.1:1 Connection refused')).toThrow(/cannot read wrk/);
  });
});

describe('parseWrkDuration', () => {
  it.each([
    ['410.12us', 0.41012],
    ['2.03ms', 2.03],
    ['1.50s', 1500],
    ['2.00m', 120_000],
  ])('%s is %d ms', (text, want) => {
    expect(parseWrkDuration(text)).toBeCloseTo(want, 9);
  });
});
