/** One series of an instant vector. */
export interface VectorSample {
  readonly metric: Readonly<Record<string, string>>;
  /** [unix seconds, value as text] */
  readonly value: readonly [number, string];
}

/** One series of a range result (a range query, or an instant query of a range selector). */
export interface MatrixSeries {
  readonly metric: Readonly<Record<string, string>>;
  readonly values: ReadonlyArray<readonly [number, string]>;
}

/** What /api/v1/query and /api/v1/query_range answer with. */
export type QueryResult =
  | { readonly resultType: 'vector'; readonly result: VectorSample[] }
  | { readonly resultType: 'matrix'; readonly result: MatrixSeries[] }
  | { readonly resultType: 'scalar' | 'string'; readonly result: readonly [number, string] };

/** A scrape target as /api/v1/targets lists it. */
export interface ActiveTarget {
  readonly labels: Readonly<Record<string, string>>;
  readonly scrapeUrl: string;
  readonly health: 'up' | 'down' | 'unknown';
  readonly lastError: string;
}

/** The server answered with an error, or not with the API's JSON. */
export class PromApiError extends Error {
  override readonly name = 'PromApiError';
  readonly url: string;
  readonly status: number;
  /** `bad_data`, `execution`, ... from the API's answer; empty when it did not say. */
  readonly errorType: string;

  constructor(url: string, status: number, errorType: string, message: string) {
    super(`${url}: HTTP ${status}${errorType ? ` ${errorType}` : ''}: ${message}`);
    this.url = url;
    this.status = status;
    this.errorType = errorType;
  }
}

/** A time as the API takes it: unix seconds, a Date, or text passed as is (VictoriaMetrics takes `-5m`). */
export type ApiTime = number | Date | string;

/** A client of the Prometheus HTTP API, which Prometheus and VictoriaMetrics both serve. */
export interface PromApi {
  readonly baseUrl: string;
  /** An instant query; `time` defaults to the server's now. */
  query(expr: string, options?: { time?: ApiTime }): Promise<QueryResult>;
  queryRange(expr: string, options: { start: ApiTime; end?: ApiTime; step: string | number }): Promise<QueryResult>;
  /** Label sets of the series matching any selector in `match`. */
  series(match: readonly string[], options?: { start?: ApiTime; end?: ApiTime }): Promise<Array<Record<string, string>>>;
  labelValues(label: string, options?: { match?: readonly string[] }): Promise<string[]>;
  targets(): Promise<ActiveTarget[]>;
}

/** Options for createPromApi. */
export interface PromApiOptions {
  /** Added to every request: VictoriaMetrics takes `nocache=1` to bypass its response cache. */
  readonly extraParams?: Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
}

function formatTime(time: ApiTime): string {
  if (time instanceof Date) return String(time.getTime() / 1000);
  return String(time);
}

/** Creates a client for the server at `baseUrl` (`http://127.0.0.1:8428`). */
export function createPromApi(baseUrl: string, options: PromApiOptions = {}): PromApi {
  const base = baseUrl.replace(/\/+$/, '');
  const call = async <T>(path: string, params: Array<[string, string]>): Promise<T> => {
    const search = new URLSearchParams([...params, ...Object.entries(options.extraParams ?? {})]);
    const url = `${base}${path}?${search.toString()}`;
    const response = await fetch(url, { signal: AbortSignal.timeout(options.timeoutMs ?? 10_000) });
    const text = await response.text();
    let body: { status?: string; data?: T; errorType?: string; error?: string };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      throw new PromApiError(url, response.status, '', `not JSON: ${text.slice(0, 200)}`);
    }
    if (!response.ok || body.status !== 'success' || body.data === undefined) {
      throw new PromApiError(url, response.status, body.errorType ?? '', body.error ?? text.slice(0, 200));
    }
    return body.data;
  };
  return {
    baseUrl: base,
    query: (expr, opts = {}) => call('/api/v1/query', [['query', expr], ...(opts.time === undefined ? [] : [['time', formatTime(opts.time)] as [string, string]])]),
    queryRange: (expr, opts) =>
      call('/api/v1/query_range', [
        ['query', expr],
        ['start', formatTime(opts.start)],
        ...(opts.end === undefined ? [] : [['end', formatTime(opts.end)] as [string, string]]),
        ['step', String(opts.step)],
      ]),
    series: (match, opts = {}) =>
      call('/api/v1/series', [
        ...match.map((m): [string, string] => ['match[]', m]),
        ...(opts.start === undefined ? [] : [['start', formatTime(opts.start)] as [string, string]]),
        ...(opts.end === undefined ? [] : [['end', formatTime(opts.end)] as [string, string]]),
      ]),
    labelValues: (label, opts = {}) =>
      call(`/api/v1/label/${encodeURIComponent(label)}/values`, (opts.match ?? []).map((m): [string, string] => ['match[]', m])),
    targets: async () => (await call<{ activeTargets: ActiveTarget[] }>('/api/v1/targets', [])).activeTargets,
  };
}

/** The series of a vector result; throws when the result is of another type. */
export function vectorOf(result: QueryResult): VectorSample[] {
  if (result.resultType !== 'vector') throw new Error(`expected a vector, got a ${result.resultType}`);
  return result.result;
}

/** The series of a matrix result; throws when the result is of another type. */
export function matrixOf(result: QueryResult): MatrixSeries[] {
  if (result.resultType !== 'matrix') throw new Error(`expected a matrix, got a ${result.resultType}`);
  return result.result;
}

/** How evenly a series' samples are spaced: count and the smallest and largest step between two samples. */
export interface SampleSpacing {
  readonly count: number;
  readonly minStepSeconds: number;
  readonly maxStepSeconds: number;
  readonly firstSeconds: number;
  readonly lastSeconds: number;
}

/** Measures the spacing of `values` (timestamps in seconds, ascending). Pure. */
export function sampleSpacing(values: ReadonlyArray<readonly [number, string]>): SampleSpacing {
  let minStep = Infinity;
  let maxStep = -Infinity;
  for (let i = 1; i < values.length; i++) {
    const step = values[i]![0] - values[i - 1]![0];
    minStep = Math.min(minStep, step);
    maxStep = Math.max(maxStep, step);
  }
  return {
    count: values.length,
    minStepSeconds: values.length > 1 ? minStep : NaN,
    maxStepSeconds: values.length > 1 ? maxStep : NaN,
    firstSeconds: values[0]?.[0] ?? NaN,
    lastSeconds: values.at(-1)?.[0] ?? NaN,
  };
}
