import { existsSync, readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { join, relative } from 'node:path';
import { build, type Metafile } from 'esbuild';

/** What bundling an app produced. */
export interface AppBundle {
  readonly file: string;
  readonly bytes: number;
  readonly version: string;
}

/** An app that cannot be bundled yet, e.g. its `src/main.ts` has not landed. */
export class AppNotBuildableError extends Error {
  override readonly name = 'AppNotBuildableError';
  constructor(
    readonly app: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The modules the bundle still `require`s at run time that are not Node built-ins. A single executable's
 * injected main script gets a `require` that loads built-ins only, so this must be empty.
 */
export function nonBuiltinRequires(metafile: Metafile): string[] {
  const found = new Set<string>();
  for (const output of Object.values(metafile.outputs)) {
    for (const imported of output.imports) {
      if (imported.external && !isBuiltin(imported.path)) found.add(imported.path);
    }
  }
  return [...found].sort();
}

/**
 * Bundles `apps/<app>/src/main.ts` and everything it imports into one CommonJS file, as a Node single
 * executable application needs: its main script is run as CommonJS and can only `require` built-ins.
 * The version comes from the app's package.json through `__EXPORTER_VERSION__`, as in the app's own build.
 * Any esbuild warning fails the bundle (e.g. `import.meta` would be empty in CommonJS).
 */
export async function bundleApp(repoRoot: string, app: string, outFile: string): Promise<AppBundle> {
  const appDir = join(repoRoot, 'apps', app);
  const entry = join(appDir, 'src', 'main.ts');
  if (!existsSync(entry)) throw new AppNotBuildableError(app, `${relative(repoRoot, entry)} does not exist (the app has not landed yet)`);
  const { version } = JSON.parse(readFileSync(join(appDir, 'package.json'), 'utf8')) as { version: string };
  const result = await build({
    entryPoints: [entry],
    outfile: outFile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    metafile: true,
    logLevel: 'silent',
    absWorkingDir: appDir,
    define: { __EXPORTER_VERSION__: JSON.stringify(version) },
    // The same prom-client subset as the app's own build (tsup.shared.mts), so the binary runs what dist/main.js runs.
    alias: { 'prom-client': join(repoRoot, 'packages/metrics-core/src/prom-client-lite.cjs') },
  }).catch((error: unknown) => {
    throw new AppNotBuildableError(app, `esbuild failed for ${relative(repoRoot, entry)}: ${error instanceof Error ? error.message : String(error)}`);
  });
  if (result.warnings.length > 0) {
    const text = result.warnings.map((w) => `${w.location ? `${w.location.file}:${w.location.line}: ` : ''}${w.text}`).join('\n');
    throw new AppNotBuildableError(app, `esbuild warned while bundling ${app}; a warning here is a bug in the binary:\n${text}`);
  }
  const leftOver = nonBuiltinRequires(result.metafile);
  if (leftOver.length > 0) {
    throw new AppNotBuildableError(app, `the bundle of ${app} still requires ${leftOver.join(', ')}: a single executable can only require Node built-ins`);
  }
  const bytes = Object.values(result.metafile.outputs).reduce((sum, output) => sum + output.bytes, 0);
  return { file: outFile, bytes, version };
}
