import { appendFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { PRIVATE_FILE_MODE } from '../config/paths.js';

export interface Logger {
  info(message: string): void;
  error(message: string): void;
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

  const write = (level: string, message: string) => {
    const line = `${new Date().toISOString()} ${level} ${message}\n`;
    try {
      if (size > 0 && size + line.length > maxBytes) rotate();
      appendFileSync(path, line, { mode: PRIVATE_FILE_MODE });
      size += Buffer.byteLength(line);
    } catch {
      // A full disk or a removed home must not take the daemon down with it.
    }
  };
  return { info: (message) => write('info ', message), error: (message) => write('error', message) };
}

/** For the foreground `codectx watch`: the same lines, on a terminal. */
export function consoleLog(stream: NodeJS.WritableStream = process.stderr): Logger {
  const write = (message: string) => stream.write(`${new Date().toLocaleTimeString()} ${message}\n`);
  return { info: write, error: (message) => write(`error: ${message}`) };
}
