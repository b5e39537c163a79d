/**
 * Parses the text of a kernel counter or value file (`energy_uj`, `power1_input`, ...) into a non-negative integer.
 * Pure. Empty text, anything but a decimal integer, a negative value, or a value beyond 2^53 (a JavaScript number
 * would silently round it) throws what `fail(trimmed text, problem)` makes: the reader's own parse error.
 */
export function parseKernelInteger(text: string, fail: (value: string, problem: string) => Error): number {
  const trimmed = text.trim();
  if (trimmed === '') throw fail(trimmed, 'empty value');
  if (/^-\d+$/.test(trimmed)) throw fail(trimmed, 'negative value');
  if (!/^\d+$/.test(trimmed)) throw fail(trimmed, 'not an integer');
  const value = Number(trimmed);
  if (!Number.isSafeInteger(value)) throw fail(trimmed, 'value beyond 2^53');
  return value;
}
