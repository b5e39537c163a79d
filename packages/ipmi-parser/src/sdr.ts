/** One power sensor (unit watts) from `ipmitool sdr` or `ipmitool sensor` output. */
export interface SdrPowerSensor {
  /** The sensor name as printed, trimmed (`PS1 Input Power`, `Pwr Consumption`, `System Level`). */
  readonly name: string;
  /** The reading in watts, or undefined for `No Reading` / `na` (never 0 for a missing value). */
  readonly watts: number | undefined;
  /** The status column (`ok`, `ns`, `cr`, ...), or undefined when the format has none. */
  readonly status: string | undefined;
  /** `sdr elist` / `sdr type`: the sensor number (`52h`) and entity id (`10.1`: power supply 1; `7.1`: system board). */
  readonly sensorId?: string;
  readonly entityId?: string;
}

const WATTS_CELL = /^(-?\d{1,12}(?:\.\d{1,6})?)\s{1,20}Watts$/i;
const NUMBER_CELL = /^-?\d{1,12}(?:\.\d{1,6})?$/;
const ABSENT = /^(?:no reading|na|disabled|unavailable)$/i;

/**
 * Picks the power sensors (unit watts) out of `ipmitool sdr [list|elist|type ...]` and `ipmitool sensor` output.
 * Pure; never throws. Lines of other units, discrete sensors (`0x00`) and lines that are not sensor rows are
 * skipped. The formats: `sdr list` is `name | reading | status`; `sdr elist` and `sdr type` are
 * `name | id | status | entity | reading`; `sensor` is `name | value | unit | status | thresholds...`.
 */
export function parseSdrPowerSensors(text: string): SdrPowerSensor[] {
  const sensors: SdrPowerSensor[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (!line.includes('|')) continue;
    const cells = line.split('|').map((cell) => cell.trim());
    const name = cells[0]!;
    if (name === '') continue;
    if (cells.length === 3) {
      const watts = WATTS_CELL.exec(cells[1]!);
      if (watts) sensors.push({ name, watts: Number(watts[1]), status: cells[2] || undefined });
    } else if (cells.length === 5 && /^[0-9a-f]{1,4}h$/i.test(cells[1]!)) {
      const watts = WATTS_CELL.exec(cells[4]!);
      if (watts) sensors.push({ name, watts: Number(watts[1]), status: cells[2] || undefined, sensorId: cells[1]!, entityId: cells[3]! });
    } else if (cells.length >= 4 && /^watts$/i.test(cells[2]!)) {
      const value = cells[1]!;
      if (NUMBER_CELL.test(value)) sensors.push({ name, watts: Number(value), status: cells[3] || undefined });
      else if (ABSENT.test(value)) sensors.push({ name, watts: undefined, status: cells[3] || undefined });
    }
  }
  return sensors;
}
