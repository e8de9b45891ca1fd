import { loadConfig } from '../config/config.js';
import { connectDaemon, DaemonCallError, DaemonGoneError, type DaemonClient } from '../daemon/client.js';
import { configKey } from '../daemon/configKey.js';
import type { Codebase } from '../index/codebase.js';
import type { SearchOptions } from '../search/searcher.js';
import type { SearchResult } from '../search/types.js';

/** Daemon answers that mean "this daemon cannot serve the call", not "the call failed": do the work here. */
const SERVE_IT_YOURSELF = new Set(['version', 'config-mismatch', 'unknown-method']);

/**
 * Runs `work` against the running daemon, whose models are already loaded. Undefined when no daemon runs or it
 * cannot serve this call (it went away, speaks another protocol, or resolved another configuration): the caller
 * then does the work in-process. Errors of the work itself (no index, bad query) are thrown as they are.
 */
export async function viaDaemon<T>(work: (client: DaemonClient) => Promise<T>): Promise<T | undefined> {
  const client = await connectDaemon();
  if (!client) return undefined;
  try {
    return await work(client);
  } catch (error) {
    if (error instanceof DaemonGoneError) return undefined;
    if (error instanceof DaemonCallError && SERVE_IT_YOURSELF.has(error.code)) return undefined;
    throw error;
  } finally {
    client.close();
  }
}

/** A search answered by the daemon, or undefined when it cannot answer (see viaDaemon). */
export function searchViaDaemon(codebase: Codebase, query: string, options: SearchOptions): Promise<SearchResult[] | undefined> {
  const key = configKey(loadConfig(codebase.root));
  return viaDaemon((daemon) => daemon.search(codebase.root, query, { ...options, configKey: key }));
}
