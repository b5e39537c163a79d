/** Why an ipmitool or ipmi-dcmi output is not a power reading: stable strings, fit for a metric label. */
export type IpmiErrorReason =
  /** The BMC does not implement the command: FreeIPMI `command invalid or unsupported`, ipmitool `Invalid command (c1)`. */
  | 'unsupported'
  /** The BMC answered with a failure completion code: `A valid DCMI command was not returned! (80)`, `DCMI request failed because: ...`. */
  | 'command_failed'
  /** No local IPMI device: `Could not open device at /dev/ipmi0 ... No such file or directory`, FreeIPMI `could not find inband device`. */
  | 'no_device'
  /** The local IPMI device exists but may not be opened (`Permission denied`). */
  | 'permission_denied'
  /** A LAN session could not be set up: `Unable to establish LAN session`, `Get Session Challenge command failed`, bad password. */
  | 'session_failed'
  /** The BMC did not answer in time: `No response from remote controller`, FreeIPMI `session timeout`, `driver timeout`. */
  | 'timeout'
  /** The tool could not load the interface asked for: `Error loading interface imb`, `Invalid interface`. */
  | 'interface_error'
  /** A power reading whose instantaneous value is missing (the output was cut). */
  | 'incomplete'
  /** Output that is neither a power reading nor a message this parser knows (garbage, empty output). */
  | 'unrecognised_output';

/** What an IpmiError carries besides its reason. */
export interface IpmiErrorOptions {
  /** The tool's own words (the first line that told the reason), trimmed. */
  readonly text?: string;
  /** `command_failed` / `unsupported`: the IPMI completion code, when the message prints it (`(80)`, `(c1)`). */
  readonly completionCode?: number;
  readonly cause?: unknown;
}

/** The one error this package reports, told apart by `reason`. */
export class IpmiError extends Error {
  override readonly name = 'IpmiError';
  readonly reason: IpmiErrorReason;
  /** The tool's words that gave the reason, when the output was one of its messages. */
  readonly text: string | undefined;
  /** The IPMI completion code the message printed, if any (0x80, 0xc1, ...). */
  readonly completionCode: number | undefined;

  constructor(reason: IpmiErrorReason, message: string, options: IpmiErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.reason = reason;
    this.text = options.text;
    this.completionCode = options.completionCode;
  }
}
