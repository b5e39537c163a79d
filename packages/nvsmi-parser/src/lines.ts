import { lineError, type NvsmiError } from './errors.js';

/** Cuts a byte or text stream into lines, whatever the chunk boundaries. */
export interface LineSplitter {
  /** Feeds the next chunk, split anywhere (mid-line, mid-UTF-8 character); calls back for each line it completes. */
  push(chunk: string | Uint8Array): void;
  /** The stream ended: hands over a last line without newline, then starts over (line numbers from 1 again). */
  end(): void;
}

/** What a splitter calls back with. */
export interface LineSplitterOptions {
  /** Longest line kept, in characters; a longer one is dropped up to its newline and reported through onError. */
  readonly maxLineLength: number;
  /** One line, without its `\n` and a trailing `\r`, with its 1-based number since the stream (re)started. */
  readonly onLine: (line: string, lineNumber: number) => void;
  /** An over-long line (`line_too_long`), reported as soon as it passes the limit so memory stays bounded. */
  readonly onError: (error: NvsmiError) => void;
}

/** Longest line a stream parser keeps unless told otherwise, in characters. */
export const DEFAULT_MAX_LINE_LENGTH = 1024 * 1024;
// How much of a dropped over-long line its error keeps.
const KEPT_OF_LONG_LINE = 200;

/** Creates the line splitter the stream parsers share. Pure apart from its own buffer. */
export function createLineSplitter(options: LineSplitterOptions): LineSplitter {
  const { maxLineLength, onLine, onError } = options;
  let decoder = new TextDecoder();
  let partial = '';
  let dropping = false;
  let lineNumber = 0;

  const deliver = (raw: string, atLine: number): void => onLine(raw.endsWith('\r') ? raw.slice(0, -1) : raw, atLine);
  const tooLong = (line: string, atLine: number): void => {
    const kept = line.slice(0, Math.min(KEPT_OF_LONG_LINE, maxLineLength));
    onError(lineError(`line longer than ${maxLineLength} characters, dropped`, kept, atLine, 'line_too_long'));
  };

  function feed(text: string): void {
    let start = 0;
    for (let newline = text.indexOf('\n'); newline >= 0; newline = text.indexOf('\n', start)) {
      lineNumber++;
      const line = partial + text.slice(start, newline);
      if (dropping) dropping = false;
      else if (line.length > maxLineLength) tooLong(line, lineNumber);
      else deliver(line, lineNumber);
      partial = '';
      start = newline + 1;
    }
    if (dropping) return;
    partial += text.slice(start);
    if (partial.length > maxLineLength) {
      // Reported now, under the number the line will have, so memory stays bounded while it goes on.
      tooLong(partial, lineNumber + 1);
      partial = '';
      dropping = true;
    }
  }

  return {
    push(chunk) {
      feed(typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true }));
    },
    end() {
      feed(decoder.decode());
      if (!dropping && partial !== '') deliver(partial, lineNumber + 1);
      decoder = new TextDecoder();
      partial = '';
      dropping = false;
      lineNumber = 0;
    },
  };
}
