import { describe, expect, it } from 'vitest';
import { parseListeningAddress } from './exporter.js';

describe('parseListeningAddress', () => {
  it('reads the address of the logfmt listening line', () => {
    expect(parseListeningAddress('ts=2026-11-25T14:22:55.458Z level=info msg=listening address=http://127.0.0.1:33789')).toBe('http://127.0.0.1:33789');
    expect(parseListeningAddress('level=info msg=listening address="http://[::1]:9510"')).toBe('http://[::1]:9510');
  });
  it('ignores other lines', () => {
    expect(parseListeningAddress('level=info msg="RAPL zone found" address=http://x:1')).toBeUndefined();
    expect(parseListeningAddress('level=info msg=listening')).toBeUndefined();
  });
});
