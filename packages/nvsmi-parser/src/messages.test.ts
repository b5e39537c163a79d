import { loadNvidiaSmiCapture } from '@proj/fixtures';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isNvidiaSmiMessage, NvsmiError } from './errors.js';
import { createMessageClassifier, isNvidiaSmiMessageContinuation, parseNvidiaSmiError, parseNvidiaSmiMessage } from './messages.js';

// Any UTF-16 code unit, lone surrogates and control characters included (harsher than fast-check's 'binary' unit,
// without its ~2 s first-use cost).
const anyCodeUnit = fc.nat(0xffff).map((code) => String.fromCharCode(code));

describe('nvidia-smi failure messages from the captures', () => {
  it('reads the invalid-field stdout as invalid_field naming the field', () => {
    const { text } = loadNvidiaSmiCapture('issue__CoHDI-composable-resource-operator-37__invalid-field__stdout');
    const error = parseNvidiaSmiError(text);
    expect(error).toBeInstanceOf(NvsmiError);
    expect(error!.field).toBe('device_minor');
    expect(error!.reason).toBe('invalid_field');
    expect(error!.lineNumber).toBe(1);
    expect(error!.text).toBe('Field "device_minor" is not a valid field to query.');
  });

  it('reads the lost-GPU message as gpu_lost with the bus id', () => {
    const { text } = loadNvidiaSmiCapture('issue__minershive-hiveos-linux-61__gpu-lost__nvidia-smi-message');
    const error = parseNvidiaSmiError(text);
    expect(error).toBeInstanceOf(NvsmiError);
    expect(error!.pciBusId).toBe('0000:0A:00.0');
    expect(error!.nvmlError).toBe('GPU is lost');
    expect(error!.reason).toBe('gpu_lost');
  });
});

// Wordings as real drivers print them, from public reports (issue threads found with the search tool):
// NVIDIA/nvidia-docker#988, #1163, #1671; anderskm/gputil#55; beasteers/singuconda#6;
// kubernetes-sigs/dra-driver-nvidia-gpu#1008; NVIDIA/open-gpu-kernel-modules#387; cihlab/fics-cluster-guide#53.
describe('parseNvidiaSmiMessage', () => {
  it.each([
    ["NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the latest NVIDIA driver is installed and running.", 'driver_unreachable'],
    ["NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.", 'driver_unreachable'],
    ["NVIDIA-SMI couldn't find libnvidia-ml.so library in your system. Please make sure that the NVIDIA Display Driver is properly installed and present in your system.", 'nvml_library_not_found'],
    ['Failed to initialize NVML: Driver/library version mismatch', 'driver_version_mismatch'],
    ['Failed to initialize NVML: Unknown Error', 'nvml_init_failed'],
    ['Failed to initialize NVML: No supported GPUs were found', 'no_devices'],
    ['No devices were found', 'no_devices'],
    ['No devices were found  ', 'no_devices'],
    ['Unable to determine the device handle for GPU 0000:0B:00.0: Unknown Error', 'device_handle_failed'],
    ['Unable to determine the device handle for GPU0000:20:00.0: Unknown Error', 'device_handle_failed'],
    // constructed: the same sentence with another of NVML's error strings (no public report of this one found)
    ['Unable to determine the device handle for GPU 00000000:3B:00.0: GPU requires reset', 'gpu_requires_reset'],
    ['Unable to determine the device handle for GPU 0000:0A:00.0: GPU is lost.  Reboot the system to recover this GPU\r', 'gpu_lost'],
    ['Field "utilization.encoder" is not a valid field to query.', 'invalid_field'],
    ['Not supported on the device(s)', 'not_supported'],
    ["Invalid combination of input arguments. Please run 'nvidia-smi -h' for help.", 'invalid_arguments'],
  ])('recognises %j', (line, reason) => {
    const error = parseNvidiaSmiMessage(line, 7);
    expect(error).toBeInstanceOf(NvsmiError);
    expect(isNvidiaSmiMessage(error)).toBe(true);
    expect(error!.name).toBe('NvsmiError');
    expect(error!.reason).toBe(reason);
    expect(error!.lineNumber).toBe(7);
    expect(error!.message).toContain('line 7');
    expect(error!.text).toBe(line.trimEnd());
  });

  it('keeps the NVML error string of driver and device-handle failures', () => {
    expect(parseNvidiaSmiMessage('Failed to initialize NVML: Driver/library version mismatch')!.nvmlError).toBe('Driver/library version mismatch');
    const handle = parseNvidiaSmiMessage('Unable to determine the device handle for GPU0000:20:00.0: Unknown Error')!;
    expect(handle.pciBusId).toBe('0000:20:00.0');
    expect(handle.nvmlError).toBe('Unknown Error');
    expect(handle.field).toBeUndefined();
  });

  it.each([
    'GeForce GTX 1080 Ti, 53 %, 3 %',
    '41, 6, 13',
    'NVML library version: 535.161',
    'GPU 0: NVIDIA H200 (UUID: GPU-00000000-0000-0000-0000-000000000000)',
    'No devices were found in the cupboard',
    'Field "x" is not a valid field to query',
  ])('leaves %j alone', (line) => {
    expect(parseNvidiaSmiMessage(line)).toBeUndefined();
  });

  it('knows the second lines of the multi-line messages', () => {
    expect(isNvidiaSmiMessageContinuation('Please also try adding directory that contains libnvidia-ml.so to your system PATH.')).toBe(true);
    expect(isNvidiaSmiMessageContinuation('NVML library version: 535.161')).toBe(true);
    expect(isNvidiaSmiMessageContinuation('Unable to determine the number of GPUs')).toBe(true);
    expect(isNvidiaSmiMessageContinuation('Failed to process command line ')).toBe(true);
    expect(isNvidiaSmiMessageContinuation('41, 6, 13')).toBe(false);
  });

  it('never throws, whatever the line, and answers a message for that line or nothing (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: anyCodeUnit }), (line) => {
        const error = parseNvidiaSmiMessage(line, 3);
        // Checked for every line, not only the rare random one that is a message.
        expect(error === undefined || (isNvidiaSmiMessage(error) && error.text === line.trimEnd() && error.lineNumber === 3)).toBe(true);
      }),
    );
  });

  it('recognises every message whatever its bus id, field, NVML error and trailing blanks (property)', () => {
    const hex = (max: number, width: number) => fc.nat(max).map((n) => n.toString(16).toUpperCase().padStart(width, '0'));
    const busId = fc.tuple(fc.constantFrom(4, 8), hex(0xff, 2), hex(0x1f, 2), hex(7, 1)).map(([w, bus, dev, fn]) => `${'0'.repeat(w)}:${bus}:${dev}.${fn}`);
    const field = fc.stringMatching(/^[a-z][a-z0-9_.]{0,30}$/);
    const nvml = fc.constantFrom(['GPU is lost', 'gpu_lost'], ['GPU requires reset', 'gpu_requires_reset'], ['Unknown Error', 'device_handle_failed'], ['Not Found', 'device_handle_failed']);
    const message = fc.oneof(
      fc.tuple(field).map(([name]) => ({ line: `Field "${name}" is not a valid field to query.`, reason: 'invalid_field', detail: { field: name } })),
      fc.tuple(busId, fc.constantFrom(' ', ''), nvml).map(([id, gap, [text, reason]]) => ({
        line: `Unable to determine the device handle for GPU${gap}${id}: ${text}`,
        reason,
        detail: { pciBusId: id, nvmlError: text },
      })),
      fc.constantFrom(
        { line: 'Failed to initialize NVML: Driver/library version mismatch', reason: 'driver_version_mismatch', detail: { nvmlError: 'Driver/library version mismatch' } },
        { line: 'Failed to initialize NVML: Unknown Error', reason: 'nvml_init_failed', detail: { nvmlError: 'Unknown Error' } },
        { line: 'No devices were found', reason: 'no_devices', detail: {} },
        { line: 'Not supported on the device(s)', reason: 'not_supported', detail: {} },
      ),
    );
    fc.assert(
      fc.property(message, fc.stringMatching(/^[ \t\r]{0,3}$/), fc.nat(1000), ({ line, reason, detail }, blanks, lineNumber) => {
        const error = parseNvidiaSmiMessage(`${line}${blanks}`, lineNumber);
        expect(error).toBeInstanceOf(NvsmiError);
        expect(error).toMatchObject({ reason, text: line, lineNumber, ...detail });
      }),
    );
  });
});

describe('parseNvidiaSmiError', () => {
  it('finds the message in a whole output, after other lines', () => {
    const error = parseNvidiaSmiError('Failed to initialize NVML: Driver/library version mismatch\nNVML library version: 535.161\n');
    expect(error?.reason).toBe('driver_version_mismatch');
    expect(parseNvidiaSmiError('some banner\nNo devices were found\n')?.lineNumber).toBe(2);
  });

  it('is undefined for ordinary output', () => {
    expect(parseNvidiaSmiError('name, power.draw [W]\nNVIDIA H200, 71.15 W\n')).toBeUndefined();
    expect(parseNvidiaSmiError('')).toBeUndefined();
  });
});

describe('createMessageClassifier', () => {
  it('gives the typed error of a message, drops its second line, and passes data through', () => {
    const classify = createMessageClassifier();
    const first = classify("NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the latest NVIDIA driver is installed and running.", 1);
    expect(first).toMatchObject({ reason: 'driver_unreachable' });
    expect(classify('Make sure that the latest NVIDIA driver is installed and running.', 2)).toBe('continuation');
    expect(classify('0, NVIDIA H100 80GB HBM3, 631.95', 3)).toBeUndefined();
  });

  it('never drops a line that only looks like a continuation when no message came before it', () => {
    const classify = createMessageClassifier();
    expect(classify('Unable to determine the number of GPUs', 1)).toBeUndefined();
  });
});
