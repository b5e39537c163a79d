import { messageError, type NvsmiError } from './errors.js';

// The wordings below are the ones real drivers print, as found in captures and public reports; nvidia-smi puts
// most of them on stdout (the invalid-field one certainly: see the CoHDI capture), so look at both streams.
const INVALID_FIELD = /^Field "(.*)" is not a valid field to query\.$/;
// `GPU 0000:0A:00.0` and `GPU0000:20:00.0` (no space) both occur; NVML's error string ends at the first period.
const DEVICE_HANDLE = /^Unable to determine the device handle for GPU ?([0-9A-Fa-f]+:[0-9A-Fa-f]+:[0-9A-Fa-f]+\.[0-9A-Fa-f]+): ([^.]+)/;
const DRIVER_UNREACHABLE = /^NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver\b/;
const LIBRARY_NOT_FOUND = /^NVIDIA-SMI couldn't find libnvidia-ml\.so library in your system\b/;
const NVML_INIT = /^Failed to initialize NVML: (.+)$/;
const NO_DEVICES = /^No devices were found$/;
// pmon and dmon on a GPU that cannot report them (Kepler GeForce and older); see the nvidia-smi-pmon captures.
const NOT_SUPPORTED = /^Not supported on the device\(s\)$/;
const INVALID_ARGUMENTS = /^Invalid combination of input arguments\. Please run 'nvidia-smi -h' for help\.$/;

// Second lines of the multi-line messages above: part of the message, not data and not garbage.
const CONTINUATIONS = [
  /^Please also try adding directory that contains libnvidia-ml\.so to your system PATH\.$/,
  /^Make sure that the latest NVIDIA driver is installed and running\.$/,
  /^NVML library version: \S+$/,
  /^Unable to determine the number of GPUs$/,
  /^Failed to process command line$/,
];

/**
 * Recognises one line that nvidia-smi prints when it cannot answer, as the typed error it stands for; undefined
 * for any other line. Trailing whitespace and a CR are ignored. Pure.
 */
export function parseNvidiaSmiMessage(line: string, lineNumber?: number): NvsmiError | undefined {
  const text = line.trimEnd();
  const at = lineNumber === undefined ? {} : { lineNumber };
  let match = INVALID_FIELD.exec(text);
  if (match) return messageError(text, 'invalid_field', { field: match[1]!, ...at });
  match = DEVICE_HANDLE.exec(text);
  if (match) {
    const pciBusId = match[1]!;
    const nvmlError = match[2]!;
    const reason = nvmlError === 'GPU is lost' ? 'gpu_lost' : nvmlError === 'GPU requires reset' ? 'gpu_requires_reset' : 'device_handle_failed';
    return messageError(text, reason, { pciBusId, nvmlError, ...at });
  }
  if (DRIVER_UNREACHABLE.test(text)) return messageError(text, 'driver_unreachable', at);
  if (LIBRARY_NOT_FOUND.test(text)) return messageError(text, 'nvml_library_not_found', at);
  match = NVML_INIT.exec(text);
  if (match) {
    const nvmlError = match[1]!;
    if (nvmlError === 'No supported GPUs were found') return messageError(text, 'no_devices', { nvmlError, ...at });
    const reason = nvmlError === 'Driver/library version mismatch' ? 'driver_version_mismatch' : 'nvml_init_failed';
    return messageError(text, reason, { nvmlError, ...at });
  }
  if (NO_DEVICES.test(text)) return messageError(text, 'no_devices', at);
  if (NOT_SUPPORTED.test(text)) return messageError(text, 'not_supported', at);
  if (INVALID_ARGUMENTS.test(text)) return messageError(text, 'invalid_arguments', at);
  return undefined;
}

/** Whether a line is the second line of one of nvidia-smi's multi-line failure messages. Pure. */
export function isNvidiaSmiMessageContinuation(line: string): boolean {
  const text = line.trimEnd();
  return CONTINUATIONS.some((pattern) => pattern.test(text));
}

/** What a line of nvidia-smi output is, as far as its own messages go. */
export type MessageLine = NvsmiError | 'continuation' | undefined;

/**
 * Creates a line-by-line classifier for nvidia-smi's failure messages among data: a message line gives its typed
 * error, the second line of a multi-line message gives `continuation`, anything else `undefined` (data). It keeps
 * one bit of state, whether the previous non-blank line was a message, so a data line that merely looks like a
 * continuation is never dropped.
 */
export function createMessageClassifier(): (line: string, lineNumber?: number) => MessageLine {
  let afterMessage = false;
  return (line, lineNumber) => {
    const message = parseNvidiaSmiMessage(line, lineNumber);
    if (message) {
      afterMessage = true;
      return message;
    }
    if (afterMessage && isNvidiaSmiMessageContinuation(line)) return 'continuation';
    afterMessage = false;
    return undefined;
  };
}

/**
 * The first nvidia-smi failure message in a whole output (what a finished nvidia-smi wrote to stdout or stderr),
 * or undefined when there is none. Use it on a non-zero exit to tell "no GPU" from "no driver" from "bad field".
 */
export function parseNvidiaSmiError(text: string): NvsmiError | undefined {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const error = parseNvidiaSmiMessage(lines[i]!, i + 1);
    if (error) return error;
  }
  return undefined;
}
