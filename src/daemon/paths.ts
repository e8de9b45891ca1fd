import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { codectxHome } from '../config/paths.js';

/** Where a client finds the daemon: a unix socket in the home, or a named pipe on Windows (no socket files there). */
export function daemonSocketPath(home = codectxHome()): string {
  if (process.platform === 'win32') {
    const tag = createHash('sha256').update(home).digest('hex').slice(0, 16);
    return `\\\\.\\pipe\\codectx-${tag}`;
  }
  return join(home, 'daemon.sock');
}

/** Holds the running daemon's pid: one daemon per home. */
export function daemonLockPath(home = codectxHome()): string {
  return join(home, 'daemon.lock');
}

/** The daemon's own log (rotated). */
export function daemonLogPath(home = codectxHome()): string {
  return join(home, 'daemon.log');
}

/** Raw stdout/stderr of the daemon process: startup failures and native crashes land here, not in the log. */
export function daemonOutputPath(home = codectxHome()): string {
  return join(home, 'daemon.out');
}

/** The codebases the daemon watches. */
export function registryPath(home = codectxHome()): string {
  return join(home, 'codebases.json');
}
