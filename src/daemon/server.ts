import { existsSync } from 'node:fs';
import { chmod, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { CodectxError, describeError } from '../errors.js';
import { encodeMessage, lineReader, PROTOCOL_VERSION, type DaemonErrorBody, type DaemonMessage } from './protocol.js';

/** A method handler; `progress` sends an interim frame to the caller (index progress). */
export type MethodHandler = (params: unknown, progress: (value: unknown) => void) => Promise<unknown>;

/** An expected refusal with a machine-readable code the client acts on (e.g. falls back in-process). */
export class DaemonRequestError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

/** A request line longer than this is refused and its connection closed: one 100 MB line held the daemon 130 s. */
export const MAX_REQUEST_BYTES = 1024 * 1024;
/** A connection holding half a request this long is dropped (a stalled or hostile peer). */
export const HALF_OPEN_TIMEOUT_MS = 30_000;

export interface SocketServer {
  /** Listens again when the socket file is gone (a tmp cleaner deleted it); true if it did. Connections stay. */
  relistenIfGone(): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * Serves newline-delimited JSON requests on a local socket readable only by its owner. Requests on one
 * connection are answered as they finish, each with its id.
 */
export async function serveSocket(
  socketPath: string,
  handlers: Record<string, MethodHandler>,
  onInternalError: (message: string) => void,
  limits: { maxRequestBytes: number; halfOpenTimeoutMs: number } = { maxRequestBytes: MAX_REQUEST_BYTES, halfOpenTimeoutMs: HALF_OPEN_TIMEOUT_MS },
): Promise<SocketServer> {
  const sockets = new Set<Socket>();
  const onConnection = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    const send = (message: DaemonMessage) => {
      if (!socket.destroyed) socket.write(encodeMessage(message));
    };
    const reader = lineReader((request) => void answer(request, handlers, send, onInternalError), {
      maxLineBytes: limits.maxRequestBytes,
      onOverflow: () => {
        send({ v: PROTOCOL_VERSION, id: 0, error: { message: `request line over ${limits.maxRequestBytes} bytes`, code: 'too-large' } });
        socket.end();
        setTimeout(() => socket.destroy(), 1000).unref();
      },
    });
    socket.on('data', reader);
    // Idle clients with nothing pending may stay connected (the MCP server keeps one); half a request may not.
    socket.setTimeout(limits.halfOpenTimeoutMs, () => {
      if (reader.pendingBytes() > 0) socket.destroy();
    });
  };
  let server = createServer(onConnection);
  await listen(server, socketPath);
  let closing = false;
  let relistening = false;
  return {
    relistenIfGone: async () => {
      if (closing || relistening || process.platform === 'win32' || existsSync(socketPath)) return false;
      // A server cannot listen twice: the old one stops accepting (keeping its clients) and a new one takes the
      // path. In that order: closing a listener unlinks its path, which would be the new socket by then.
      relistening = true;
      try {
        server.close();
        server = createServer(onConnection);
        await listen(server, socketPath);
        return true;
      } finally {
        relistening = false;
      }
    },
    close: async () => {
      closing = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.end();
      setTimeout(() => sockets.forEach((socket) => socket.destroy()), 1000).unref();
      await closed;
      if (process.platform !== 'win32') await rm(socketPath, { force: true });
    },
  };
}

async function listen(server: Server, socketPath: string): Promise<void> {
  const unix = process.platform !== 'win32';
  // The socket is created with the umask's permissions: make it owner-only from the first moment.
  const previousUmask = unix ? process.umask(0o177) : 0;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socketPath, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } finally {
    if (unix) process.umask(previousUmask);
  }
  if (unix) await chmod(socketPath, 0o600);
}

async function answer(
  request: unknown,
  handlers: Record<string, MethodHandler>,
  send: (message: DaemonMessage) => void,
  onInternalError: (message: string) => void,
): Promise<void> {
  const id = typeof (request as { id?: unknown })?.id === 'number' ? (request as { id: number }).id : 0;
  const fail = (error: DaemonErrorBody) => send({ v: PROTOCOL_VERSION, id, error });
  if (!request || typeof request !== 'object') return fail({ message: 'not a JSON request', code: 'bad-request' });
  const { v, method, params } = request as { v?: unknown; method?: unknown; params?: unknown };
  if (v !== PROTOCOL_VERSION) {
    return fail({
      message: `protocol version mismatch: the daemon speaks v${PROTOCOL_VERSION}, the client v${String(v)}; restart the daemon (codectx daemon stop, then start)`,
      code: 'version',
    });
  }
  const handler = typeof method === 'string' && Object.hasOwn(handlers, method) ? handlers[method] : undefined;
  if (!handler) return fail({ message: `unknown method ${JSON.stringify(method)}`, code: 'unknown-method' });
  try {
    const result = await handler(params, (progress) => send({ v: PROTOCOL_VERSION, id, progress }));
    send({ v: PROTOCOL_VERSION, id, result: result ?? null });
  } catch (error) {
    if (error instanceof DaemonRequestError) return fail({ message: error.message, code: error.code });
    if (error instanceof CodectxError) return fail({ message: error.message, code: error.name, exitCode: error.exitCode });
    onInternalError(`${String(method)} failed: ${(error as Error)?.stack ?? describeError(error)}`);
    fail({ message: describeError(error), code: 'internal' });
  }
}
