import { StringDecoder } from 'node:string_decoder';
import type { IndexProgress, IndexReport } from '../index/indexer.js';
import type { SearchFilter } from '../store/types.js';
import type { SearchResult } from '../search/types.js';

/**
 * The wire protocol between the CLI and the daemon: newline-delimited JSON over a local socket. A request is
 * `{ v, id, method, params }`; the answer is `{ v, id, result }` or `{ v, id, error }`, optionally preceded by
 * `{ v, id, progress }` frames for long calls (index).
 */
// 2: search takes globs (a v1 daemon would drop them and answer unfiltered).
// 3: add takes the caller's configKey (a v2 daemon would watch the codebase with its own settings, silently).
export const PROTOCOL_VERSION = 3;

export interface DaemonRequest {
  v: number;
  id: number;
  method: string;
  params?: unknown;
}

export interface DaemonErrorBody {
  message: string;
  /** Machine-readable: 'version', 'unknown-method', 'bad-request', 'config-mismatch', or the error class name. */
  code: string;
  /** For CodectxError: the exit code the CLI should use. */
  exitCode?: number;
}

export type DaemonMessage =
  | { v: number; id: number; result: unknown }
  | { v: number; id: number; error: DaemonErrorBody }
  | { v: number; id: number; progress: unknown };

/** `waiting`: a run is due but another codebase's run has the model (see `waiting` for which). */
export type CodebaseState = 'idle' | 'waiting' | 'indexing' | 'missing';

export interface CodebaseStatus {
  root: string;
  state: CodebaseState;
  files: number;
  chunks: number;
  /** Changed paths waiting for the next run. */
  queue: number;
  lastEventAt?: string;
  lastIndexedAt?: string;
  lastError?: string;
  /** Why its run is not going now: which codebase's run is ahead of it, or that it paused for a change. */
  waiting?: string;
  /**
   * While it indexes: how far the run is (files read to count what changed, then files embedded and stored), since
   * `files` and `chunks` count only what the index holds and stay 0 until a first group lands.
   */
  progress?: { phase: 'count' | 'embed'; done: number; total: number };
  /** Median time from a change to its being searchable, over recent runs. */
  p50LatencyMs?: number;
  runs: number;
}

export interface DaemonStatus {
  pid: number;
  socket: string;
  startedAt: string;
  version: string;
  rssBytes: number;
  /** The main thread's JavaScript heap and the memory native code reported to it (process.memoryUsage). */
  heapUsedBytes: number;
  externalBytes: number;
  /** Runtimes (models, open stores) loaded now; idle ones are released. */
  runtimes: number;
  /** Searches answered since the start. */
  searches: number;
  codebases: CodebaseStatus[];
}

export interface PingResult {
  pid: number;
  version: string;
  protocol: number;
}

/** `configKey` is the client's view of the codebase's configuration: the daemon refuses when its own differs. */
export interface SearchParams {
  root: string;
  query: string;
  limit: number;
  filter?: SearchFilter;
  globs?: string[];
  definitionText?: boolean;
  configKey: string;
}

export interface IndexParams {
  root: string;
  force?: boolean;
  configKey: string;
}

export interface AddParams {
  root: string;
  configKey: string;
}

export interface RootParams {
  root: string;
}

/** The typed surface of every method, shared by client and server. */
export interface DaemonMethods {
  ping: { params: undefined; result: PingResult };
  status: { params: undefined; result: DaemonStatus };
  search: { params: SearchParams; result: SearchResult[] };
  index: { params: IndexParams; result: IndexReport; progress: IndexProgress };
  add: { params: AddParams; result: { root: string; added: boolean } };
  remove: { params: RootParams; result: { root: string; removed: boolean } };
  stop: { params: undefined; result: { stopping: true } };
}

export type DaemonMethod = keyof DaemonMethods;

export function encodeMessage(message: DaemonMessage | DaemonRequest): string {
  return `${JSON.stringify(message)}\n`;
}

/** What a line reader was asked to bound: a longer line is dropped unread and reported once. */
export interface LineLimits {
  maxLineBytes: number;
  onOverflow: () => void;
}

export interface LineReader {
  (chunk: Buffer | string): void;
  /** Bytes of an unfinished line held (a peer that stopped mid-line). */
  pendingBytes(): number;
}

/**
 * Splits a byte stream into newline-delimited JSON messages (undefined for a line that is not JSON). UTF-8 is
 * decoded across chunk boundaries. With limits, a line longer than maxLineBytes is never buffered: the reader
 * reports it and ignores everything after (the caller closes the connection).
 */
export function lineReader(onMessage: (message: unknown) => void, limits?: LineLimits): LineReader {
  const decoder = new StringDecoder('utf8');
  let buffer = '';
  let overflowed = false;
  const push = (chunk: Buffer | string) => {
    if (overflowed) return;
    buffer += typeof chunk === 'string' ? chunk : decoder.write(chunk);
    let newline = buffer.indexOf('\n');
    while (newline >= 0) {
      if (limits && Buffer.byteLength(buffer.slice(0, newline)) > limits.maxLineBytes) break;
      const line = buffer.slice(0, newline).trim();
      buffer = buffer.slice(newline + 1);
      if (line !== '') {
        let parsed: unknown;
        try {
          parsed = JSON.parse(line);
        } catch {
          parsed = undefined;
        }
        onMessage(parsed);
      }
      newline = buffer.indexOf('\n');
    }
    if (limits && Buffer.byteLength(newline >= 0 ? buffer.slice(0, newline) : buffer) > limits.maxLineBytes) {
      overflowed = true;
      buffer = '';
      limits.onOverflow();
    }
  };
  return Object.assign(push, { pendingBytes: () => buffer.length });
}
