import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { extractExample, toCommonJs } from './readme-example.js';

describe('extractExample', () => {
  it('takes the first js block and ignores sh blocks before it', () => {
    const readme = '# x\n\n```sh\nnpm install x\n```\n\n```js\nconsole.log(1);\n```\n\n```js\nconsole.log(2);\n```\n';
    expect(extractExample(readme)).toBe('console.log(1);\n');
  });

  it('is undefined without a js block', () => {
    expect(extractExample('# x\n\n```sh\nls\n```\n')).toBeUndefined();
  });
});

describe('toCommonJs', () => {
  it('turns named imports (one or several lines, with renames) into requires and wraps the rest', () => {
    const esm = "import { a, b as c } from 'x';\nimport {\n  d,\n  e,\n} from \"node:os\";\nconst v = await a(c, d, e);\n";
    const cjs = toCommonJs(esm);
    expect(cjs).toContain("const { a, b: c } = require('x');");
    expect(cjs).toContain('const { d, e } = require("node:os");');
    expect(cjs).not.toMatch(/^import/m);
    expect(cjs).toContain('(async () => {\n\n\nconst v = await a(c, d, e);');
  });

  it('runs: awaits inside, and the required bindings are what the ESM names', async () => {
    const cjs = toCommonJs("import { double as twice } from 'lib';\nresult.value = await Promise.resolve(twice(21));\n");
    const result = { value: 0 };
    const done = runInNewContext(`${cjs.replace("'use strict';", '')}`, {
      require: (id: string) => (id === 'lib' ? { double: (n: number) => n * 2 } : {}),
      result,
      console,
      process: { exitCode: 0 },
    }) as Promise<void>;
    await done;
    expect(result.value).toBe(42);
  });

  it('refuses import forms it does not convert', () => {
    expect(() => toCommonJs("import x from 'x';\n")).toThrow(/cannot derive CommonJS/);
    expect(() => toCommonJs("import * as x from 'x';\n")).toThrow(/cannot derive CommonJS/);
  });
});
