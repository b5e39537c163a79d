import { lineError, type NvsmiError } from './errors.js';
import { createMessageClassifier } from './messages.js';

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

/**
 * The plumbing the stream parsers share around their own line handler: a line splitter whose over-long lines and
 * nvidia-smi's messages become error events, and calls that each return the events they completed.
 */
export interface EventLines<E> {
  /** Records an event for the call in progress. */
  emit(event: E): void;
  /** Takes `line` when it is an nvidia-smi message (emitted as an error) or a message's second line: true; false for data. */
  message(line: string, lineNumber: number): boolean;
  /** Feeds the next chunk to the line handler; returns the events it completed. */
  push(chunk: string | Uint8Array): E[];
  /** Runs `work` (a flush, say) and returns the events it emitted. */
  collect(work: () => void): E[];
  /** The stream ended: hands over a last line without newline, runs `after`, starts over; returns the events. */
  end(after: () => void): E[];
}

/** Creates the event plumbing of a stream parser whose lines go to `onLine`. Pure apart from its buffer. */
export function createEventLines<E>(options: {
  /** Longest line kept, in characters (default 1 MiB). */
  readonly maxLineLength?: number | undefined;
  readonly onLine: (line: string, lineNumber: number) => void;
  /** The parser's error event for an over-long line or an nvidia-smi message. */
  readonly errorEvent: (error: NvsmiError) => E;
}): EventLines<E> {
  const { onLine, errorEvent } = options;
  let events: E[] = [];
  let classify = createMessageClassifier();
  const emit = (event: E): void => {
    events.push(event);
  };
  const lines = createLineSplitter({
    maxLineLength: options.maxLineLength ?? DEFAULT_MAX_LINE_LENGTH,
    onLine,
    onError: (error) => emit(errorEvent(error)),
  });
  const collect = (work: () => void): E[] => {
    events = [];
    work();
    const done = events;
    events = [];
    return done;
  };
  return {
    emit,
    message(line, lineNumber) {
      const message = classify(line, lineNumber);
      if (message === undefined) return false;
      if (message !== 'continuation') emit(errorEvent(message));
      return true;
    },
    push: (chunk) => collect(() => lines.push(chunk)),
    collect,
    end: (after) =>
      collect(() => {
        lines.end();
        after();
        classify = createMessageClassifier();
      }),
  };
}
