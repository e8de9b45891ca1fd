import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { codectxHome } from '../config/paths.js';

/** Unix socket paths are limited to ~104 bytes (macOS) or 108 (Linux). */
const MAX_SOCKET_PATH = 100;

/**
 * Where a client finds the daemon: a unix socket in the home (or, when that path is too long for a socket, in
 * the temp folder under a name derived from the home), or a named pipe on Windows (no socket files there).
 */
export function daemonSocketPath(home = codectxHome()): string {
  const tag = createHash('sha256').update(home).digest('hex').slice(0, 16);
  if (process.platform === 'win32') return `\\\\.\\pipe\\codectx-${tag}`;
  const inHome = join(home, 'daemon.sock');
  return Buffer.byteLength(inHome) <= MAX_SOCKET_PATH ? inHome : join(tmpdir(), `codectx-${tag}.sock`);
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
