import { writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { AppNotBuildableError } from './bundle.js';
import { buildAppBinaries, type BuiltBinary } from './sea.js';
import { ARCHES, EXPORTER_APPS, NODE_CACHE_DIR, parseArch, repoRoot } from './targets.js';

const usage = `usage: node tools/release/dist/cli.js [--app NAME]... [--arch x64|amd64|arm64]... [--out DIR]

Builds each app (default: ${EXPORTER_APPS.join(', ')}) as a Node single executable for each arch (default:
${ARCHES.join(', ')}) into DIR (default: dist/bin) as <app_name>-linux-<arch>, and writes DIR/binaries.json with
what each binary's size is made of. Builds every app it can, then exits 1 if any could not be built.`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      app: { type: 'string', multiple: true },
      arch: { type: 'string', multiple: true },
      out: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  const apps = values.app ?? [...EXPORTER_APPS];
  const arches = [...new Set((values.arch ?? ARCHES).map(parseArch))];
  const outDir = resolve(values.out ?? join(repoRoot, 'dist', 'bin'));
  const built: BuiltBinary[] = [];
  const failed: string[] = [];
  // One app at a time: each injection holds a ~99 MB executable in memory, and CI has two cores.
  for (const app of apps) {
    try {
      built.push(...(await buildAppBinaries({ repoRoot, app, arches, outDir, cacheDir: NODE_CACHE_DIR })));
    } catch (error) {
      const message = error instanceof AppNotBuildableError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error);
      process.stderr.write(`binaries: ${app}: ${message}\n`);
      failed.push(app);
    }
  }
  writeFileSync(join(outDir, 'binaries.json'), `${JSON.stringify(built.map((b) => ({ ...b, file: relative(outDir, b.file) })), null, 2)}\n`);
  for (const b of built) {
    process.stdout.write(
      `${relative(repoRoot, b.file)}\t${mib(b.binaryBytes)} = node ${b.nodeVersion} ${mib(b.nodeBytes)} + blob ${kib(b.blobBytes)} (bundle ${kib(b.bundleBytes)}) + ${kib(b.binaryBytes - b.nodeBytes - b.blobBytes)} ELF overhead\n`,
    );
  }
  if (failed.length > 0) process.stderr.write(`binaries: not built: ${failed.join(', ')}\n`);
  return failed.length > 0 ? 1 : 0;
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`binaries: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  },
);
