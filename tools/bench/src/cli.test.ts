import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

describe('pnpm bench', () => {
  // The harness imports the stack's bundle: a bundling mistake there (a dynamic require) once kept it from starting
  // while every unit test passed.
  it('starts from its build and prints its usage', () => {
    const out = execFileSync(process.execPath, [cli, '--help'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(out).toMatch(/^usage: pnpm bench/);
    expect(out).toContain('--quick');
  });
});
