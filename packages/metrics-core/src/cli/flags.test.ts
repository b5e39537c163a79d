import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { choiceParser, DEFAULT_ATTRIBUTE_PROCESSES, durationParser, FlagError, FlagValueError, formatHelp, parseDirectory, parseFlags, parseNonEmpty, parseOptionalRegex, parsePort, runCommandLine, type CommandLineIo } from './flags.js';

const specs = {
  port: { description: 'port to listen on', valueName: 'PORT', env: 'X_PORT', default: 9510, parse: parsePort },
  host: { description: 'address to listen on', valueName: 'HOST', default: '0.0.0.0', parse: parseNonEmpty },
  interval: { description: 'sampling interval', valueName: 'DURATION', env: 'X_INTERVAL', default: 1000, defaultText: '1s', parse: durationParser(50, 30_000) },
  'log-level': { description: 'least severe level logged', valueName: 'LEVEL', default: 'info', parse: choiceParser(['debug', 'info', 'warn', 'error'] as const) },
};

const run = (argv: string[], env: Record<string, string> = {}) => {
  const result = parseFlags(specs, argv, env);
  if (result.kind !== 'run') throw new Error(result.kind);
  return result.values;
};

const failure = (argv: string[], env: Record<string, string> = {}): FlagError => {
  try {
    parseFlags(specs, argv, env);
  } catch (error) {
    if (error instanceof FlagError) return error;
    throw error;
  }
  throw new Error('no FlagError');
};

describe('parseFlags', () => {
  it('takes defaults', () => {
    expect(run([])).toEqual({ port: 9510, host: '0.0.0.0', interval: 1000, 'log-level': 'info' });
  });

  it('reads --flag value and --flag=value', () => {
    expect(run(['--port', '9600', '--interval=500ms', '--host', '127.0.0.1'])).toMatchObject({ port: 9600, interval: 500, host: '127.0.0.1' });
  });

  it('puts the flag over the environment over the default', () => {
    expect(run([], { X_PORT: '9700' }).port).toBe(9700);
    expect(run(['--port', '9800'], { X_PORT: '9700' }).port).toBe(9800);
    expect(run([], { X_PORT: '' }).port).toBe(9510);
  });

  it.each([
    [['--port', 'abc'], '--port: "abc" is not a port number (0-65535)'],
    [['--port', '70000'], '--port: "70000" is not a port number (0-65535)'],
    [['--interval', '5'], '--interval: "5" is not a duration (use e.g. 1s, 500ms, 2m)'],
    [['--interval', '1h'], '--interval: 1h is out of range (50ms to 30s)'],
    [['--interval', '1ms'], '--interval: 1ms is out of range (50ms to 30s)'],
    [['--log-level', 'loud'], '--log-level: "loud" is not one of debug, info, warn, error'],
    [['--host', ''], '--host: must not be empty'],
    [['--nope'], '--nope: unknown flag (see --help)'],
    [['--port', '1', '--port', '2'], '--port: given more than once'],
    [['--port=1', '--port', '1'], '--port: given more than once'],
    [['-x'], '-x: unknown flag (see --help)'],
    [['--port'], '--port: needs a value (PORT)'],
    [['--port', '--host', 'x'], '--port: needs a value (PORT)'],
    [['9510'], '9510: unexpected argument (flags look like --port 9510; see --help)'],
  ])('rejects %j with one line naming the flag', (argv, message) => {
    const error = failure(argv);
    expect(error.message).toBe(message);
    expect(error.message).not.toContain('\n');
  });

  it('names the environment variable when that was the source', () => {
    expect(failure([], { X_INTERVAL: 'soon' }).message).toBe('X_INTERVAL: "soon" is not a duration (use e.g. 1s, 500ms, 2m)');
  });

  it('stops at --help and --version', () => {
    expect(parseFlags(specs, ['--port', 'bad', '--help'], {}).kind).toBe('help');
    expect(parseFlags(specs, ['-h'], {}).kind).toBe('help');
    expect(parseFlags(specs, ['--version'], {}).kind).toBe('version');
  });
});

describe('parseDirectory', () => {
  it('takes a directory that exists and says why anything else is not one', () => {
    expect(parseDirectory(tmpdir())).toBe(tmpdir());
    expect(() => parseDirectory('/nonexistent/sys')).toThrow('/nonexistent/sys is not a directory');
    expect(() => parseDirectory(process.execPath)).toThrow(`${process.execPath} is not a directory`);
    expect(() => parseDirectory(' ')).toThrow('must not be empty');
  });
});

describe('durationParser', () => {
  it.each([
    ['1s', 1000],
    ['500ms', 500],
    ['1.5s', 1500],
    ['2m', 120_000],
  ])('%s is %d ms', (text, ms) => {
    expect(durationParser(0, 1e9)(text)).toBe(ms);
  });
});

describe('runCommandLine', () => {
  const io = () => {
    const out: string[] = [];
    const err: string[] = [];
    const fake: CommandLineIo & { out: string[]; err: string[]; code?: number } = {
      out,
      err,
      stdout: (t) => void out.push(t),
      stderr: (t) => void err.push(t),
      exit: (code) => {
        fake.code = code;
        throw new Error(`exit ${code}`);
      },
    };
    return fake;
  };
  const info = { program: 'x_exporter', version: '1.0.0', description: 'Exports x.' };

  it('exits 2 with one line on a bad flag', () => {
    const fake = io();
    expect(() => runCommandLine(info, specs, ['--port', 'abc'], {}, fake)).toThrow('exit 2');
    expect(fake.err).toEqual(['x_exporter: --port: "abc" is not a port number (0-65535)\n']);
    expect(fake.out).toEqual([]);
  });

  it('prints help to stdout and exits 0', () => {
    const fake = io();
    expect(() => runCommandLine(info, specs, ['--help'], {}, fake)).toThrow('exit 0');
    expect(fake.out.join('')).toBe(formatHelp('x_exporter', 'Exports x.', specs));
    expect(fake.out.join('')).toContain('--port PORT');
    expect(fake.out.join('')).toContain('env X_PORT, default 9510');
    expect(fake.out.join('')).toContain('default 1s');
  });

  it('prints the version and exits 0', () => {
    const fake = io();
    expect(() => runCommandLine(info, specs, ['--version'], {}, fake)).toThrow('exit 0');
    expect(fake.out.join('')).toMatch(/^x_exporter 1\.0\.0 \(typescript, node \d+\.\d+\.\d+, linux\/\w+\)\n$/);
  });

  it('returns the values otherwise', () => {
    expect(runCommandLine(info, specs, ['--port', '1'], {}, io())).toEqual({
      values: { port: 1, host: '0.0.0.0', interval: 1000, 'log-level': 'info' },
      healthcheck: false,
    });
  });

  it('asks for a healthcheck with the same flags and environment', () => {
    expect(runCommandLine(info, specs, ['--healthcheck'], { X_PORT: '9600' }, io())).toMatchObject({ values: { port: 9600 }, healthcheck: true });
  });
});

describe('--attribute-processes', () => {
  it('reads a regular expression, or nothing for an empty value, and says why a bad one is refused', () => {
    expect(parseOptionalRegex('')).toBeNull();
    expect(parseOptionalRegex('^ray::')!.test('ray::TorchGPUWo')).toBe(true);
    expect(() => parseOptionalRegex('^(ffmpeg')).toThrow(FlagValueError);
    expect(() => parseOptionalRegex('^(ffmpeg')).toThrow(/^not a regular expression: /);
  });

  it('matches ffmpeg and its kin by default, whole names only', () => {
    const matched = ['ffmpeg', 'ffprobe', 'gst-launch-1.0', 'ffmpeg2', 'xffmpeg', 'gst-launch-1x0', 'ffmpeg-stack'].filter((comm) => DEFAULT_ATTRIBUTE_PROCESSES.test(comm));
    expect(matched).toEqual(['ffmpeg', 'ffprobe', 'gst-launch-1.0']);
  });
});
