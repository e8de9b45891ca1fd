import type { CodectxConfig } from '../config/config.js';
import type { IndexProgress, IndexReport } from '../index/indexer.js';
import type { SearchOptions } from '../search/searcher.js';
import type { SearchResult } from '../search/types.js';
import { connectDaemon, DaemonCallError, DaemonGoneError, type DaemonClient } from './client.js';
import { configKey } from './configKey.js';

/**
 * Searches through the running daemon (models already loaded); undefined when there is none, or it resolves
 * this codebase's configuration differently, or it went away: the caller then searches in-process.
 */
export function searchThroughDaemon(
  root: string,
  config: CodectxConfig,
  query: string,
  options: SearchOptions,
): Promise<SearchResult[] | undefined> {
  return throughDaemon((client) => client.search(root, query, { ...options, configKey: configKey(config) }));
}

/**
 * Indexes through the running daemon, so its run and ours never fight over the lock; undefined as above. An
 * abort only hangs up: the daemon's run goes on.
 */
export function indexThroughDaemon(
  root: string,
  config: CodectxConfig,
  options: { force?: boolean; onProgress?: (progress: IndexProgress) => void; signal?: AbortSignal },
): Promise<IndexReport | undefined> {
  return throughDaemon((client) => {
    options.signal?.addEventListener('abort', () => client.close(), { once: true });
    return client.index(root, { force: options.force, configKey: configKey(config) }, options.onProgress);
  });
}

/**
 * Runs `call` against the running daemon; undefined when none runs, it went away, or it answers with one of
 * `serveYourself` (codes meaning "this daemon cannot serve the call", not "the call failed"): the caller then
 * does the work in-process. Errors of the work itself (no index, bad query) are thrown as they are.
 */
export async function throughDaemon<T>(
  call: (client: DaemonClient) => Promise<T>,
  serveYourself: ReadonlySet<string> = new Set(['config-mismatch']),
): Promise<T | undefined> {
  const client = await connectDaemon();
  if (!client) return undefined;
  try {
    return await call(client);
  } catch (error) {
    if (error instanceof DaemonGoneError) return undefined;
    if (error instanceof DaemonCallError && serveYourself.has(error.code)) return undefined;
    throw error;
  } finally {
    client.close();
  }
}
