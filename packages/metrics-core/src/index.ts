// Everything, for compatibility; a tool that only samples imports @proj/metrics-core/metrics and pulls no Hono.
export * from './metrics/index.js';
export * from './http/index.js';
export * from './cli/index.js';
