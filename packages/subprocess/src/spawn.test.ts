import { fstatSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawnGroup } from './spawn.js';

describe('spawnGroup', () => {
  it("with stdin and output 'inherit', the child writes to this process's own standard output and error", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spawn-inherit-'));
    try {
      const file = join(dir, 'fds');
      // The child says which files its fds 1 and 2 are (device and inode), without writing to them.
      const script = `const fs = require('fs'); const id = (fd) => { const s = fs.fstatSync(fd); return s.dev + ':' + s.ino; }; fs.writeFileSync(${JSON.stringify(file)}, id(1) + ' ' + id(2));`;
      const child = spawnGroup(process.execPath, ['-e', script], { stdin: 'inherit', output: 'inherit' });
      expect(child.stdout).toBeNull();
      expect(child.stderr).toBeNull();
      expect(child.stdin).toBeNull();
      const code = await new Promise((resolve) => child.once('exit', resolve));
      expect(code).toBe(0);
      const id = (fd: number) => `${fstatSync(fd).dev}:${fstatSync(fd).ino}`;
      expect(readFileSync(file, 'utf8')).toBe(`${id(1)} ${id(2)}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('pipes standard output and error by default', async () => {
    const child = spawnGroup(process.execPath, ['-e', "process.stdout.write('out')"]);
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr!.resume();
    await new Promise((resolve) => child.stdout!.once('end', resolve));
    expect(out).toBe('out');
  });
});
