// `pnpm --filter @proj/stack vmagent-cost [--targets 50,200] [--seconds 60] [--exporter ENTRY]`: what one vmagent costs per
// target (docs/FLEET.md). Needs the CPU exporter built and vmagent/victoria-metrics installed.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { measureVmagentCost } from './vmagent-cost.js';

const { values } = parseArgs({ options: { targets: { type: 'string', default: '50,200' }, seconds: { type: 'string', default: '60' }, keep: { type: 'boolean', default: false }, exporter: { type: 'string' } } });
const targetCounts = values.targets.split(',').map(Number);
const seconds = Number(values.seconds);
if (targetCounts.some((n) => !Number.isInteger(n) || n < 1) || !(seconds > 0)) {
  console.error('usage: vmagent-cost [--targets 50,200] [--seconds 60] [--exporter apps/cpu-exporter/dist/main.js] [--keep]');
  process.exit(2);
}
const workDir = mkdtempSync(join(tmpdir(), 'vmagent-cost-'));
try {
  const figures = await measureVmagentCost({
    workDir,
    targetCounts,
    seconds,
    // pnpm runs the script in tools/stack: a relative --exporter is relative to where pnpm was started.
    exporterEntry: values.exporter && resolve(process.env.INIT_CWD ?? process.cwd(), values.exporter),
    log: (line) => console.log(line),
  });
  console.log(JSON.stringify(figures, null, 2));
} finally {
  if (values.keep) console.log(`kept ${workDir}`);
  else rmSync(workDir, { recursive: true, force: true });
}
