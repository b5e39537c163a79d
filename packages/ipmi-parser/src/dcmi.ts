import { IpmiError } from './errors.js';
import { parseIpmiError } from './messages.js';

/** Which tool printed a reading. */
export type DcmiTool = 'ipmitool' | 'freeipmi';

/**
 * A DCMI power reading: the whole machine's power as the BMC measures it (at the wall, through the power
 * supplies). Values are absent (undefined), never 0, when the BMC says its power measurement is deactivated.
 */
export interface DcmiPowerReading {
  readonly tool: DcmiTool;
  /**
   * `activated` / `deactivated` as the BMC reports it (FreeIPMI's `Active` / `Not Available`), or undefined when
   * the output does not say (older ipmitool, a cut output). Only `deactivated` withholds the values.
   */
  readonly state: 'activated' | 'deactivated' | undefined;
  /** The instantaneous power (ipmitool `Instantaneous power reading`, FreeIPMI `Current Power`). */
  readonly powerWatts: number | undefined;
  /** Minimum, maximum and average over the BMC's sampling period. */
  readonly minimumWatts: number | undefined;
  readonly maximumWatts: number | undefined;
  readonly averageWatts: number | undefined;
  /** The BMC's statistics period (ipmitool prints seconds, FreeIPMI milliseconds), in milliseconds. */
  readonly samplingPeriodMs: number | undefined;
  /** The BMC's timestamp as printed (its format and time zone vary by tool and BMC; epoch 1970 means unset). */
  readonly timestampText: string | undefined;
}

const NUMBER = '(\\d{1,15}(?:\\.\\d{1,6})?)';
const field = (label: string, unit: string): RegExp => new RegExp(`${label}\\s{0,80}:\\s{0,80}${NUMBER}\\s{0,8}${unit}`, 'i');

const IPMITOOL = {
  power: field('Instantaneous power reading', 'watts'),
  minimum: field('Minimum during sampling period', 'watts'),
  maximum: field('Maximum during sampling period', 'watts'),
  average: field('Average power reading over sample period', 'watts'),
  period: field('Sampling period', 'seconds'),
  // A Supermicro BMC's output glues `Sampling period:` onto the timestamp's line: stop the timestamp there.
  timestamp: /IPMI timestamp:[ \t]{0,80}(.*?)[ \t]*(?:Sampling period:|$)/im,
  state: /Power reading state is:[ \t]{0,80}([a-z]+)/i,
};

const FREEIPMI = {
  // FreeIPMI prints `Watts` after the current power and `watts` after the others: match either.
  power: field('Current Power', 'watts'),
  minimum: field('Minimum Power over sampling duration', 'watts'),
  maximum: field('Maximum Power over sampling duration', 'watts'),
  average: field('Average Power over sampling duration', 'watts'),
  period: field('Statistics reporting time period', 'milliseconds'),
  timestamp: /^[ \t]*Time Stamp[ \t]{0,80}:[ \t]{0,80}(.*?)[ \t]*$/im,
  state: /Power Measurement[ \t]{0,80}:[ \t]{0,80}([a-z][a-z ]{0,40}?)[ \t]*$/im,
};

function numberIn(text: string, pattern: RegExp): number | undefined {
  const match = pattern.exec(text);
  if (!match) return undefined;
  const value = Number(match[1]);
  return Number.isFinite(value) ? value : undefined;
}

function stateOf(word: string | undefined): DcmiPowerReading['state'] {
  if (word === undefined) return undefined;
  const state = word.trim().toLowerCase();
  if (state === 'activated' || state === 'active') return 'activated';
  if (state === 'deactivated' || state === 'not available' || state === 'inactive') return 'deactivated';
  return undefined;
}

/**
 * Parses the output of `ipmitool dcmi power reading` or FreeIPMI's `ipmi-dcmi --get-system-power-statistics`.
 * Pure. A deactivated reading comes back with its values absent. Output that is one of the tools' error
 * messages (unsupported command, LAN session or device failures, completion codes) throws IpmiError with that
 * reason; a reading cut before its instantaneous value throws `incomplete`; anything else `unrecognised_output`.
 * Pass stdout, or stdout and stderr together: the reading is found wherever it is.
 */
export function parseDcmiPowerReading(text: string): DcmiPowerReading {
  const tool: DcmiTool | undefined = /Instantaneous power reading|IPMI timestamp|Power reading state is/i.test(text)
    ? 'ipmitool'
    : /Current Power\s{0,80}:|Power over sampling duration|Power Measurement\s{0,80}:/i.test(text)
      ? 'freeipmi'
      : undefined;
  if (tool === undefined) {
    throw parseIpmiError(text) ?? new IpmiError('unrecognised_output', `not a DCMI power reading: ${JSON.stringify(text.slice(0, 120))}`);
  }
  const patterns = tool === 'ipmitool' ? IPMITOOL : FREEIPMI;
  const state = stateOf(patterns.state.exec(text)?.[1]);
  const powerWatts = numberIn(text, patterns.power);
  if (powerWatts === undefined && state !== 'deactivated') {
    throw parseIpmiError(text) ?? new IpmiError('incomplete', 'a DCMI power reading without its instantaneous value');
  }
  const period = numberIn(text, patterns.period);
  const timestamp = patterns.timestamp.exec(text)?.[1]?.trim();
  const measured = state !== 'deactivated';
  return {
    tool,
    state,
    powerWatts: measured ? powerWatts : undefined,
    minimumWatts: measured ? numberIn(text, patterns.minimum) : undefined,
    maximumWatts: measured ? numberIn(text, patterns.maximum) : undefined,
    averageWatts: measured ? numberIn(text, patterns.average) : undefined,
    samplingPeriodMs: period === undefined ? undefined : tool === 'ipmitool' ? period * 1000 : period,
    timestampText: timestamp === undefined || timestamp === '' ? undefined : timestamp,
  };
}
