'use strict';
// What the exporter bundles take of prom-client (tsup.shared.mts aliases 'prom-client' to this file, so its own files
// are named by path here, past the alias): its index also
// loads the push gateway client (http, https), the default metrics and the cluster aggregator, which the exporters
// never use and which cost resident memory for nothing (docs/BENCHMARKS.md, Idle RSS).
exports.Registry = require('../node_modules/prom-client/lib/registry');
exports.Counter = require('../node_modules/prom-client/lib/counter');
exports.Gauge = require('../node_modules/prom-client/lib/gauge');
exports.Histogram = require('../node_modules/prom-client/lib/histogram');
