/** The first fenced ```js block of a README: the example a package promises runs. */
export function extractExample(markdown: string): string | undefined {
  const match = /^```(?:js|javascript|mjs)[ \t]*\n([\s\S]*?)^```[ \t]*$/m.exec(markdown);
  return match?.[1];
}

/**
 * The same example for CommonJS, derived mechanically so the README needs no second copy: each
 * `import { a, b as c } from 'x';` becomes `const { a, b: c } = require('x');`, and the rest runs inside an
 * async function (CommonJS has no top-level await). Any other import form is refused rather than guessed.
 */
export function toCommonJs(esm: string): string {
  const requires: string[] = [];
  const body = esm.replace(/^import\s*\{([^}]*)\}\s*from\s*(['"][^'"]+['"]);?[ \t]*$/gm, (_whole, names: string, from: string) => {
    const bindings = names
      .split(',')
      .map((name) => name.trim())
      .filter((name) => name !== '')
      .map((name) => name.replace(/^(\w+)\s+as\s+(\w+)$/, '$1: $2'));
    requires.push(`const { ${bindings.join(', ')} } = require(${from});`);
    return '';
  });
  const leftOver = /^\s*import\b.*$/m.exec(body);
  if (leftOver) throw new Error(`cannot derive CommonJS from this import: ${leftOver[0].trim()}`);
  return `'use strict';\n${requires.join('\n')}\n(async () => {\n${body}\n})().catch((error) => {\n  console.error(error);\n  process.exitCode = 1;\n});\n`;
}
