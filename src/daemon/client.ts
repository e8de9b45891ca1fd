import { existsSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { CodectxError, ConfigError, EmbeddingError, IndexStateError, NotIndexedError, StoreError, UsageError } from '../errors.js';
import type { IndexProgress, IndexReport } from '../index/indexer.js';
import { boundQuery, type SearchOptions } from '../search/searcher.js';
import type { SearchResult } from '../search/types.js';
import { assertTrustedSocket, daemonSocketPath, UntrustedSocketError } from './paths.js';
import {
  encodeMessage,
  lineReader,
  PROTOCOL_VERSION,
  type DaemonErrorBody,
  type DaemonMethod,
  type DaemonMethods,
  type DaemonStatus,
  type PingResult,
} from './protocol.js';

/** Answers that need no work (ping, status) come at once from a healthy daemon. */
const QUICK_CALL_MS = 10_000;
/** A search through a healthy daemon takes well under a second; a first one may wait for the model to load. */
const SEARCH_CALL_MS = 20_000;

/** An error answered by the daemon; `code` says what kind ('config-mismatch', 'version', an error class name…). */
export class DaemonCallError extends CodectxError {
  constructor(
    message: string,
    readonly code: string,
    exitCode = 1,
  ) {
    super(message, exitCode);
  }
}

/** The daemon went away mid-call (stopped, crashed): callers may redo the work in-process. */
export class DaemonGoneError extends CodectxError {}

/**
 * Errors of the work itself, rebuilt as the classes the daemon threw, so a caller's `instanceof` decides the same
 * with the daemon up or down (route goes on without context on an IndexStateError; it aborted with the daemon up).
 */
const WORK_ERRORS: Record<string, new (message: string) => CodectxError> = {
  UsageError,
  ConfigError,
  IndexStateError,
  NotIndexedError,
  StoreError,
  EmbeddingError,
};

export function errorFromWire(body: DaemonErrorBody): CodectxError {
  const WorkError = WORK_ERRORS[body.code];
  return WorkError ? new WorkError(body.message) : new DaemonCallError(body.message, body.code, body.exitCode);
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  progress?: (value: unknown) => void;
}

/** A connection to the running daemon with one typed method per protocol call. */
export class DaemonClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(private readonly socket: Socket) {
    socket.on(
      'data',
      lineReader((message) => this.receive(message)),
    );
    const fail = () => {
      for (const call of this.pending.values()) call.reject(new DaemonGoneError('the codectx daemon closed the connection'));
      this.pending.clear();
    };
    socket.on('close', fail);
    socket.on('error', fail);
  }

  /**
   * One request. `timeoutMs` bounds the wait for calls that must never hang a command (a stuck daemon then
   * counts as gone, and callers fall back); long calls (index) pass none.
   */
  call<M extends DaemonMethod>(
    method: M,
    params?: DaemonMethods[M]['params'],
    options: { timeoutMs?: number; onProgress?: (value: DaemonMethods[M] extends { progress: infer P } ? P : never) => void } = {},
  ): Promise<DaemonMethods[M]['result']> {
    if (this.socket.destroyed) return Promise.reject(new DaemonGoneError('the connection to the codectx daemon is closed'));
    const id = this.nextId++;
    // Keep the process alive while an answer is due, and only then (an idle client must not hold a CLI open).
    this.socket.ref();
    let timer: NodeJS.Timeout | undefined;
    const settled = () => {
      clearTimeout(timer);
      if (this.pending.size === 0) this.socket.unref();
    };
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject, progress: options.onProgress as (value: unknown) => void });
      if (options.timeoutMs !== undefined) {
        timer = setTimeout(() => {
          this.pending.delete(id);
          reject(new DaemonGoneError(`the codectx daemon did not answer ${method} within ${options.timeoutMs! / 1000}s`));
        }, options.timeoutMs);
      }
      this.socket.write(encodeMessage({ v: PROTOCOL_VERSION, id, method, params }));
    }).finally(settled) as Promise<DaemonMethods[M]['result']>;
  }

  ping(): Promise<PingResult> {
    return this.call('ping', undefined, { timeoutMs: QUICK_CALL_MS });
  }

  status(): Promise<DaemonStatus> {
    return this.call('status', undefined, { timeoutMs: QUICK_CALL_MS });
  }

  /** Bounded: a first search may wait for the model to load, but a stuck daemon must not hang the caller. */
  search(root: string, query: string, options: SearchOptions & { configKey: string }, timeoutMs = SEARCH_CALL_MS): Promise<SearchResult[]> {
    // Cut here as the daemon would: a query past the bound must not make the request line too large to send.
    return this.call('search', { root, query: boundQuery(query), ...options }, { timeoutMs });
  }

  index(root: string, options: { force?: boolean; configKey: string }, onProgress?: (progress: IndexProgress) => void): Promise<IndexReport> {
    return this.call('index', { root, ...options }, { onProgress });
  }

  add(root: string, configKey: string): Promise<{ root: string; added: boolean }> {
    return this.call('add', { root, configKey });
  }

  remove(root: string): Promise<{ root: string; removed: boolean }> {
    return this.call('remove', { root });
  }

  stop(): Promise<{ stopping: true }> {
    return this.call('stop');
  }

  close(): void {
    this.socket.end();
    this.socket.destroy();
  }

  private receive(message: unknown): void {
    const { v, id, result, error, progress } = (message ?? {}) as {
      v?: number;
      id?: number;
      result?: unknown;
      error?: DaemonErrorBody;
      progress?: unknown;
    };
    const call = id === undefined ? undefined : this.pending.get(id);
    if (!call) return;
    if (v !== PROTOCOL_VERSION) {
      this.pending.delete(id!);
      call.reject(
        new DaemonCallError(
          `the running daemon speaks protocol v${String(v)}, this codectx v${PROTOCOL_VERSION}; restart it (codectx daemon stop, then start)`,
          'version',
        ),
      );
    } else if (progress !== undefined) {
      call.progress?.(progress);
    } else if (error) {
      this.pending.delete(id!);
      call.reject(errorFromWire(error));
    } else {
      this.pending.delete(id!);
      call.resolve(result);
    }
  }
}

/**
 * The running daemon, or undefined at once when none runs (no socket, or nobody listening on it): callers
 * then do the work themselves. Never waits for a daemon to appear. `warn: false` is for callers that explain an
 * untrusted socket themselves (the daemon commands, see unreachableBecause).
 */
export async function connectDaemon(socketPath = daemonSocketPath(), { warn = true } = {}): Promise<DaemonClient | undefined> {
  if (process.platform !== 'win32' && !existsSync(socketPath)) return undefined;
  try {
    assertTrustedSocket(socketPath);
  } catch (error) {
    // Work locally rather than send queries and paths to a socket someone else may be listening on.
    if (warn) process.stderr.write(`codectx: ${(error as Error).message}; working without the daemon\n`);
    return undefined;
  }
  const socket = await new Promise<Socket | undefined>((resolve) => {
    const attempt = connect(socketPath);
    const timer = setTimeout(() => {
      attempt.destroy();
      resolve(undefined);
    }, 2000);
    attempt.once('connect', () => {
      clearTimeout(timer);
      resolve(attempt);
    });
    attempt.once('error', () => {
      clearTimeout(timer);
      resolve(undefined);
    });
  });
  if (!socket) return undefined;
  socket.unref();
  return new DaemonClient(socket);
}

/** Why connectDaemon found no daemon at `socketPath`, for a message about a daemon that holds the lock all the same. */
export function unreachableBecause(socketPath = daemonSocketPath()): string {
  if (process.platform !== 'win32' && !existsSync(socketPath)) return `its socket ${socketPath} is missing`;
  try {
    assertTrustedSocket(socketPath);
  } catch (error) {
    if (error instanceof UntrustedSocketError) return `its socket ${socketPath} is untrusted: ${error.problem}`;
    throw error;
  }
  return `it does not answer on ${socketPath}`;
}
