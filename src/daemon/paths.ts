import { createHash } from 'node:crypto';
import { lstatSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { codectxHome, makePrivateDir } from '../config/paths.js';
import { CodectxError } from '../errors.js';

/** Unix socket paths are limited to ~104 bytes (macOS) or 108 (Linux). */
const MAX_SOCKET_PATH = 100;

/**
 * Where a client finds the daemon: a unix socket in the home, or, when that path is too long for a socket, in
 * a private folder (see privateSocketDir); a named pipe on Windows (no socket files there).
 */
export function daemonSocketPath(home = codectxHome()): string {
  const tag = createHash('sha256').update(home).digest('hex').slice(0, 16);
  if (process.platform === 'win32') return `\\\\.\\pipe\\codectx-${tag}`;
  const inHome = join(home, 'daemon.sock');
  return Buffer.byteLength(inHome) <= MAX_SOCKET_PATH ? inHome : join(privateSocketDir(), `${tag}.sock`);
}

/**
 * A folder only this user can enter: $XDG_RUNTIME_DIR/codectx, else <tmp>/codectx-<uid>. A predictable name
 * straight in /tmp let another local user listen first and answer every query (issue 13).
 */
export function privateSocketDir(): string {
  const runtime = process.env.XDG_RUNTIME_DIR;
  return runtime && isAbsolute(runtime) ? join(runtime, 'codectx') : join(tmpdir(), `codectx-${process.getuid?.() ?? 0}`);
}

/** Raised when a socket or its folder could belong to someone else: nothing is sent to it or served from it. */
export class UntrustedSocketError extends CodectxError {
  constructor(
    message: string,
    /** What is wrong, said of the socket: "it is not a socket of this user's (uid 65534)". */
    readonly problem: string,
  ) {
    super(message);
  }
}

/** Creates the socket's folder when it is the private one, and checks it: ours, 0700, not a link. */
export function preparePrivateSocketDir(socketPath: string, home = codectxHome()): void {
  const dir = dirname(socketPath);
  if (dir === home || process.platform === 'win32') return;
  makePrivateDir(dir);
  assertPrivateDir(dir);
}

function assertPrivateDir(dir: string): void {
  const info = lstatSync(dir);
  const problem = info.isSymbolicLink()
    ? 'is a symbolic link'
    : !info.isDirectory()
      ? 'is not a folder'
      : info.uid !== process.getuid?.()
        ? `belongs to uid ${info.uid}`
        : (info.mode & 0o077) !== 0
          ? `has mode ${(info.mode & 0o777).toString(8)}, not 700`
          : undefined;
  if (problem) throw new UntrustedSocketError(`refusing to use the daemon socket folder ${dir}: it ${problem}`, `its folder ${problem}`);
}

/** Before a client talks to a socket: it must be a socket of this user's, in a private folder when not in the home. */
export function assertTrustedSocket(socketPath: string, home = codectxHome()): void {
  if (process.platform === 'win32') return;
  if (dirname(socketPath) !== home) assertPrivateDir(dirname(socketPath));
  const info = lstatSync(socketPath);
  if (!info.isSocket() || info.uid !== process.getuid?.()) {
    const problem = `it is not a socket of this user's (uid ${info.uid})`;
    throw new UntrustedSocketError(`refusing to talk to ${socketPath}: ${problem}`, problem);
  }
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
