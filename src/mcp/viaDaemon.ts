import { loadConfig } from '../config/config.js';
import type { DaemonClient } from '../daemon/client.js';
import { configKey } from '../daemon/configKey.js';
import { throughDaemon } from '../daemon/route.js';
import type { Codebase } from '../index/codebase.js';
import type { SearchOptions } from '../search/searcher.js';
import type { SearchResult } from '../search/types.js';

/** Daemon answers that mean "this daemon cannot serve the call", not "the call failed": do the work here. */
const SERVE_IT_YOURSELF = new Set(['version', 'config-mismatch', 'unknown-method']);

/**
 * Runs `work` against the running daemon, or undefined when it cannot serve it (see throughDaemon). The MCP
 * server also works itself when the daemon speaks another protocol version or lacks the method.
 */
export function viaDaemon<T>(work: (client: DaemonClient) => Promise<T>): Promise<T | undefined> {
  return throughDaemon(work, SERVE_IT_YOURSELF);
}

/** A search answered by the daemon, or undefined when it cannot answer (see viaDaemon). */
export function searchViaDaemon(codebase: Codebase, query: string, options: SearchOptions): Promise<SearchResult[] | undefined> {
  const key = configKey(loadConfig(codebase.root));
  return viaDaemon((daemon) => daemon.search(codebase.root, query, { ...options, configKey: key }));
}
