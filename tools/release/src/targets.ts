import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The apps shipped as binaries and images. Each has `apps/<name>/src/main.ts` and `apps/<name>/package.json`. */
export const EXPORTER_APPS = ['cpu-exporter', 'gpu-exporter'] as const;

/** The CPU architectures a binary is built for, in Node's names (`process.arch`). */
export type Arch = 'x64' | 'arm64';
export const ARCHES: readonly Arch[] = ['x64', 'arm64'];

/** The repository root (this file is tools/release/src/ or tools/release/dist/). */
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

/** Where `node-linux-<arch>` executables are kept between builds (ignored by git and by the Docker context). */
export const NODE_CACHE_DIR = join(repoRoot, 'node_modules', '.cache', 'sea-node');

/** `cpu-exporter` -> `cpu_exporter`: the name the seed's users type (`sudo ./cpu_exporter --port 9510`). */
export function binaryName(app: string): string {
  return app.replace(/-/g, '_');
}

/** `cpu_exporter-linux-x64`: the file name under dist/bin. */
export function binaryFileName(app: string, arch: Arch): string {
  return `${binaryName(app)}-linux-${arch}`;
}

/**
 * An architecture from a flag: Node's names (`x64`, `arm64`) or Docker's (`amd64`, `arm64`, as BuildKit's
 * TARGETARCH gives them), so a Dockerfile can pass TARGETARCH through unchanged.
 */
export function parseArch(text: string): Arch {
  switch (text) {
    case 'x64':
    case 'amd64':
      return 'x64';
    case 'arm64':
    case 'aarch64':
      return 'arm64';
    default:
      throw new Error(`unsupported architecture "${text}" (expected x64/amd64 or arm64)`);
  }
}
