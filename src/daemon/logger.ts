import { appendFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { PRIVATE_FILE_MODE } from '../config/paths.js';
import { printable } from '../text.js';

export interface Logger {
  info(message: string): void;
  /** `stack`, for a crash, follows the entry on indented lines. */
  error(message: string, stack?: string): void;
}

/**
 * One log entry as text: the message on one line, escaped (a codebase path with a newline in it read as two entries),
 * then a stack's frames indented below it, each escaped the same way.
 */
export function logEntry(message: string, stack?: string): string {
  const frames = stack?.split('\n').slice(1).map((frame) => `    ${printable(frame.trim())}`) ?? [];
  return [printable(message), ...frames].join('\n');
}

export interface RotatingLogOptions {
  /** Rotate once the file reaches this size. */
  maxBytes?: number;
  /** Rotated files kept: log.1 (newest) … log.N. */
  keep?: number;
}

/**
 * A line log that rotates itself: at `maxBytes` the file becomes `.1`, `.1` becomes `.2`, and so on, the oldest
 * dropped. Writes are synchronous appends: a daemon logs a few lines a minute, and a crash must not lose the
 * line that explains it.
 */
export function rotatingLog(path: string, options: RotatingLogOptions = {}): Logger {
  const maxBytes = options.maxBytes ?? 5 * 1024 * 1024;
  const keep = options.keep ?? 3;
  let size = statSync(path, { throwIfNoEntry: false })?.size ?? 0;

  const rotate = () => {
    rmSync(`${path}.${keep}`, { force: true });
    for (let index = keep - 1; index >= 1; index--) {
      try {
        renameSync(`${path}.${index}`, `${path}.${index + 1}`);
      } catch {
        // Not there yet: fewer rotations so far than `keep`.
      }
    }
    renameSync(path, `${path}.1`);
    size = 0;
  };

  const write = (level: string, entry: string) => {
    const line = `${new Date().toISOString()} ${level} ${entry}\n`;
    try {
      if (size > 0 && size + line.length > maxBytes) rotate();
      appendFileSync(path, line, { mode: PRIVATE_FILE_MODE });
      size += Buffer.byteLength(line);
    } catch {
      // A full disk or a removed home must not take the daemon down with it.
    }
  };
  return { info: (message) => write('info ', logEntry(message)), error: (message, stack) => write('error', logEntry(message, stack)) };
}

/** For the foreground `codectx watch`: the same lines, on a terminal. */
export function consoleLog(stream: NodeJS.WritableStream = process.stderr): Logger {
  const write = (entry: string) => stream.write(`${new Date().toLocaleTimeString()} ${entry}\n`);
  return { info: (message) => write(logEntry(message)), error: (message, stack) => write(`error: ${logEntry(message, stack)}`) };
}
