import { execFile } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { bundleApp } from './bundle.js';
import { resolveNodeBinary } from './node-binary.js';
import { binaryFileName, type Arch } from './targets.js';

const run = promisify(execFile);
const postjectCli = createRequire(import.meta.url).resolve('postject/dist/cli.js');

/** The fuse string every official Node 20 executable carries; postject flips it to say a blob is inside. */
export const SEA_SENTINEL_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

/** One built executable and what its size is made of. */
export interface BuiltBinary {
  readonly app: string;
  readonly arch: Arch;
  readonly file: string;
  readonly version: string;
  readonly nodeVersion: string;
  readonly binaryBytes: number;
  /** The Node executable the blob went into. */
  readonly nodeBytes: number;
  /** The preparation blob (the bundled script plus a small header). */
  readonly blobBytes: number;
  /** The bundled CommonJS script inside the blob. */
  readonly bundleBytes: number;
}

/** Options for buildAppBinaries. */
export interface BuildOptions {
  readonly repoRoot: string;
  readonly app: string;
  readonly arches: readonly Arch[];
  readonly outDir: string;
  /** Where `node-linux-<arch>` packages are kept between builds. */
  readonly cacheDir: string;
}

/**
 * Builds `<binary>-linux-<arch>` for each arch into outDir: bundle the app to one CommonJS file, make one
 * SEA preparation blob from it with this Node (no code cache, no snapshot: those are specific to the
 * architecture that made them, and the same blob goes into every arch's executable), then copy each arch's
 * Node executable and inject the blob with postject. The result is never stripped: stripping after injection
 * would damage the note that holds the blob.
 */
export async function buildAppBinaries(options: BuildOptions): Promise<BuiltBinary[]> {
  const work = mkdtempSync(join(tmpdir(), `sea-${options.app}-`));
  try {
    const bundle = await bundleApp(options.repoRoot, options.app, join(work, 'main.cjs'));
    const blob = join(work, 'sea-prep.blob');
    writeFileSync(
      join(work, 'sea-config.json'),
      JSON.stringify({ main: bundle.file, output: blob, disableExperimentalSEAWarning: true, useSnapshot: false, useCodeCache: false }),
    );
    await run(process.execPath, ['--experimental-sea-config', join(work, 'sea-config.json')], { cwd: work });
    const blobBytes = statSync(blob).size;
    mkdirSync(options.outDir, { recursive: true });
    return await Promise.all(
      options.arches.map(async (arch): Promise<BuiltBinary> => {
        const node = await resolveNodeBinary(arch, options.cacheDir);
        const file = join(options.outDir, binaryFileName(options.app, arch));
        const partial = `${file}.partial`;
        copyFileSync(node, partial);
        chmodSync(partial, 0o755);
        try {
          await run(process.execPath, [postjectCli, partial, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', SEA_SENTINEL_FUSE], { maxBuffer: 16 * 1024 * 1024 });
        } catch (error) {
          rmSync(partial, { force: true });
          const { stderr, stdout } = error as { stderr?: string; stdout?: string };
          throw new Error(`postject failed for ${binaryFileName(options.app, arch)}:\n${stdout ?? ''}${stderr ?? ''}`, { cause: error });
        }
        renameSync(partial, file);
        return {
          app: options.app,
          arch,
          file,
          version: bundle.version,
          nodeVersion: process.versions.node,
          binaryBytes: statSync(file).size,
          nodeBytes: statSync(node).size,
          blobBytes,
          bundleBytes: bundle.bytes,
        };
      }),
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
