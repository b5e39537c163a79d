import { FlagError } from '@proj/metrics-core/cli';
import { writeFileSync } from 'node:fs';
import { energyRunHelp, parseEnergyRunCommandLine } from './flags.js';
import { formatRunTable, runJson } from './report.js';
import { energyRun, EnergyRunError } from './run.js';

declare const __EXPORTER_VERSION__: string | undefined;
/** Set at build time from package.json. */
const VERSION = typeof __EXPORTER_VERSION__ === 'string' ? __EXPORTER_VERSION__ : '0.0.0-dev';

const DESCRIPTION =
  "Runs one command and prints, when it ends, its wall and CPU time (every descendant included), the host's CPU\n" +
  "energy per zone during the run and the command's share of it, and with nvidia-smi each GPU's energy and the\n" +
  "command's share, like perf stat. Exits with the command's status.";

/** Writes `text` and waits until it is flushed (a pipe may take it in pieces), then exits with `code`. */
function exitAfter(stream: NodeJS.WriteStream, text: string, code: number): void {
  if (text === '') process.exit(code);
  stream.write(text, () => process.exit(code));
}

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseEnergyRunCommandLine(process.argv.slice(2), process.env);
  } catch (error) {
    if (!(error instanceof FlagError)) throw error;
    return exitAfter(process.stderr, `energy-run: ${error.message}\n`, 2);
  }
  if (parsed.kind === 'help') return exitAfter(process.stdout, energyRunHelp(DESCRIPTION), 0);
  if (parsed.kind === 'version') return exitAfter(process.stdout, `energy-run ${VERSION} (typescript, node ${process.versions.node}, ${process.platform}/${process.arch})\n`, 0);
  let result;
  try {
    result = await energyRun(parsed.flags, parsed.command);
  } catch (error) {
    // 125: energy-run's own failure, as env(1) and timeout(1) say it, so it is never taken for the command's status.
    if (error instanceof EnergyRunError) return exitAfter(process.stderr, `energy-run: ${error.message}\n`, 125);
    throw error;
  }
  const table = formatRunTable(result);
  const json = `${JSON.stringify(runJson(result), null, 2)}\n`;
  const target = parsed.flags.json;
  if (target !== '' && target !== '-') {
    try {
      writeFileSync(target, json);
    } catch (error) {
      process.stderr.write(`energy-run: --json: cannot write ${target}: ${(error as Error).message}\n`);
    }
  }
  process.stderr.write(table, () => exitAfter(process.stdout, target === '-' ? json : '', result.exitCode));
}

void main();
