// `node dist/static-targets-cli.js --body FILE --count N [--host H]`: serves FILE as /metrics on N ports and
// prints `msg=listening targets=H:P,...` once they all listen; SIGTERM or SIGINT closes them.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { formatTargetsLine, serveStaticTargets } from './static-targets.js';

const { values } = parseArgs({ options: { body: { type: 'string' }, count: { type: 'string' }, host: { type: 'string' } } });
const count = Number(values.count);
if (!values.body || !Number.isInteger(count) || count < 1) {
  console.error('usage: static-targets-cli --body FILE --count N [--host HOST]');
  process.exit(2);
}
const served = await serveStaticTargets({ body: readFileSync(values.body, 'utf8'), count, host: values.host });
console.log(formatTargetsLine(served.targets));
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => void served.close().then(() => process.exit(0)));
