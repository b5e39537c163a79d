/** Log levels, least to most severe. */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
/** One of LOG_LEVELS: a logger writes lines at its level and above. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Structured fields of a log line. */
export type LogFields = Record<string, string | number | boolean | undefined | null>;

/** A logfmt logger, the format Prometheus and its exporters write. */
export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

/** Options for createLogger. */
export interface LoggerOptions {
  readonly level?: LogLevel;
  /** Where lines go; standard error by default. */
  readonly write?: (line: string) => void;
  /** Wall clock for the `ts` field; Date.now by default. */
  readonly clock?: () => number;
}

/** Creates a logger that writes one logfmt line per call at or above `level`. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const threshold = LOG_LEVELS.indexOf(options.level ?? 'info');
  const write = options.write ?? ((line: string) => process.stderr.write(line));
  const clock = options.clock ?? Date.now;
  const at =
    (level: LogLevel) =>
    (msg: string, fields: LogFields = {}): void => {
      if (LOG_LEVELS.indexOf(level) < threshold) return;
      let line = `ts=${new Date(clock()).toISOString()} level=${level} msg=${logfmtValue(msg)}`;
      for (const [key, value] of Object.entries(fields)) {
        if (value !== undefined && value !== null) line += ` ${key}=${logfmtValue(String(value))}`;
      }
      write(`${line}\n`);
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** A logger that drops everything; for tests and library use. */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

function logfmtValue(value: string): string {
  return /^[^\s"=\\]+$/.test(value) ? value : JSON.stringify(value);
}
