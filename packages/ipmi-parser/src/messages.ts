import { IpmiError, type IpmiErrorReason } from './errors.js';

// The tools' messages, most specific first. Each pattern is tried on one line at a time; the words come from the
// captures in tools/fixtures/ipmi/ and from ipmitool's and FreeIPMI's own error strings.
const MESSAGES: readonly { readonly reason: IpmiErrorReason; readonly pattern: RegExp }[] = [
  { reason: 'unsupported', pattern: /invalid or unsupported|invalid command|not supported|unsupported command|command not available/i },
  { reason: 'command_failed', pattern: /valid DCMI command was not returned|DCMI request failed|completion code|bad completion/i },
  { reason: 'permission_denied', pattern: /permission denied|operation not permitted/i },
  { reason: 'no_device', pattern: /could not open device|no such file or directory|could not find inband device|driver device not found|device not found/i },
  { reason: 'timeout', pattern: /no response from remote controller|timeout|timed out/i },
  {
    reason: 'session_failed',
    pattern: /unable to establish|session challenge|activate session|rakp|password invalid|username invalid|invalid user name|k_g invalid|privilege level|authentication/i,
  },
  { reason: 'interface_error', pattern: /error loading interface|invalid interface|interface .*not (?:available|supported)/i },
];

// IPMI completion codes as ipmitool prints them after a message: `(80)`, `(c1)`, `(0xc1)`.
const COMPLETION_CODE = /\((?:0x)?([0-9a-f]{2})\)\s*$/i;
// Completion codes that mean "this BMC does not do that" (IPMI 2.0 table 5-2), not "it failed this time".
const UNSUPPORTED_CODES = new Set([0xc1, 0xc9, 0xcc, 0xd5]);

/**
 * Recognises an error message of ipmitool or FreeIPMI's ipmi-dcmi in `text` (stdout, stderr, or both) and returns
 * it as an IpmiError, or undefined when no line is one of the known messages. Pure; never throws.
 */
export function parseIpmiError(text: string): IpmiError | undefined {
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '') continue;
    for (const { reason, pattern } of MESSAGES) {
      if (!pattern.test(line)) continue;
      const code = COMPLETION_CODE.exec(line);
      const completionCode = code ? Number.parseInt(code[1]!, 16) : undefined;
      const finalReason = completionCode !== undefined && UNSUPPORTED_CODES.has(completionCode) ? 'unsupported' : reason;
      return new IpmiError(finalReason, `${finalReason}: ${line}`, { text: line, ...(completionCode === undefined ? {} : { completionCode }) });
    }
  }
  return undefined;
}
