import { describe, expect, it } from 'vitest';
import { parseArgs } from './args.js';

describe('parseArgs', () => {
  it.each([
    [['-h'], { kind: 'usage' }],
    [['--help'], { kind: 'usage' }],
    [['--version'], { kind: 'version' }],
    [['-L'], { kind: 'list' }],
    [['--list-gpus'], { kind: 'list' }],
    [['--help-query-gpu'], { kind: 'help-query-gpu' }],
  ])('%j', (argv, command) => {
    expect(parseArgs(argv)).toEqual(command);
  });

  it('reads a query in both option spellings, with every format variant and both loop options', () => {
    expect(parseArgs(['--query-gpu=index,gpu_name', '--format=csv'])).toEqual({
      kind: 'query',
      fields: ['index', 'gpu_name'],
      format: { noheader: false, nounits: false },
      intervalMs: undefined,
    });
    expect(parseArgs(['--query-gpu', 'index', '--format', 'csv,nounits,noheader', '-lms', '250'])).toMatchObject({
      format: { noheader: true, nounits: true },
      intervalMs: 250,
    });
    expect(parseArgs(['-l', '2', '--query-gpu=index', '--format=csv,noheader'])).toMatchObject({ intervalMs: 2000, format: { noheader: true, nounits: false } });
    expect(parseArgs(['--loop-ms=100', '--query-gpu=index', '--format=csv'])).toMatchObject({ intervalMs: 100 });
    expect(parseArgs(['--loop=1', '--query-gpu=index', '--format=csv'])).toMatchObject({ intervalMs: 1000 });
  });

  it.each([
    [['-q']],
    [['--query-gpu=index', '--format=xml']],
    [['--query-gpu=index', '--format=csv,bogus']],
    [['--query-gpu=index', '--format=csv', '-lms', '0']],
    [['--query-gpu=index', '--format=csv', '-lms', 'x']],
    [['--query-gpu=index', '--format=csv', '-l', '1', '-lms', '100']],
    [['--query-gpu=index', '--format=csv', '-lms']],
    [['-L', '--version']],
    [['-L', '--format=csv']],
    [['--query-gpu=a', '--query-gpu=b', '--format=csv']],
  ])('rejects %j as nvidia-smi would', (argv) => {
    expect(parseArgs(argv)).toEqual({ kind: 'invalid' });
  });

  it('reads pmon with its defaults and every option, short and long', () => {
    expect(parseArgs(['pmon'])).toEqual({ kind: 'pmon', select: 'u', delaySeconds: 1, count: undefined, gpus: undefined });
    expect(parseArgs(['pmon', '-s', 'um', '-d', '2', '-c', '5', '-i', '0,3'])).toEqual({ kind: 'pmon', select: 'um', delaySeconds: 2, count: 5, gpus: [0, 3] });
    expect(parseArgs(['pmon', '--select=m', '--delay=10', '--count=1', '--id=1'])).toEqual({ kind: 'pmon', select: 'm', delaySeconds: 10, count: 1, gpus: [1] });
  });

  it.each([[['pmon', '-s', 'x']], [['pmon', '-d', '0']], [['pmon', '-d', '11']], [['pmon', '-c', '0']], [['pmon', '-c']], [['pmon', '-q']], [['pmon', '-s', 'u', '-s', 'm']]])('rejects %j as nvidia-smi would', (argv) => {
    expect(parseArgs(argv)).toEqual({ kind: 'invalid' });
  });

  it('reads --query-compute-apps, one shot only', () => {
    expect(parseArgs(['--query-compute-apps=pid,name,used_memory', '--format=csv,noheader'])).toEqual({
      kind: 'query-compute-apps',
      fields: ['pid', 'name', 'used_memory'],
      format: { noheader: true, nounits: false },
    });
    expect(parseArgs(['--query-compute-apps=pid', '--query-gpu=index', '--format=csv'])).toEqual({ kind: 'invalid' });
    expect(parseArgs(['--query-compute-apps=pid', '--format=csv', '-l', '1'])).toMatchObject({ kind: 'unsupported' });
  });

  it('says what it does not emulate', () => {
    expect(parseArgs(['pmon', '-o', 'DT'])).toMatchObject({ kind: 'unsupported' });
    expect(parseArgs(['pmon', '-i', 'GPU-00000000-0000-0000-0000-000000000000'])).toMatchObject({ kind: 'unsupported' });
    expect(parseArgs([])).toMatchObject({ kind: 'unsupported' });
    expect(parseArgs(['--query-gpu=index'])).toMatchObject({ kind: 'unsupported' });
  });
});
