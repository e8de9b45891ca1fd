import { loadConfig, type ConfigFlags } from '../config/config.js';
import { throughDaemon } from '../daemon/route.js';
import { resolveCodebase } from '../index/codebase.js';
import { readMeta } from '../index/meta.js';
import { Runtime } from '../index/runtime.js';

export interface ClearOutcome {
  root: string;
  /** Chunks the dropped index held; undefined when there was no index. */
  clearedChunks?: number;
  /** The running daemon watched the codebase, and stopped (it would have rebuilt the index on the next save). */
  unwatched: boolean;
}

/**
 * Drops a codebase's index: the daemon stops watching it first (its run is aborted, its counts go with it), then
 * the store the index was built with, and the index folder, are removed.
 */
export async function clearIndex(path: string, flags: ConfigFlags = {}): Promise<ClearOutcome> {
  const codebase = await resolveCodebase(path);
  const removal = await throughDaemon((daemon) => daemon.remove(codebase.root), new Set(['config-mismatch', 'unknown-method', 'version']));
  const unwatched = removal?.removed ?? false;
  const meta = await readMeta(codebase.indexDir);
  if (!meta) return { root: codebase.root, unwatched };
  // The store the index was built with, even if the settings changed since.
  const runtime = new Runtime(loadConfig(codebase.root, { ...flags, store: flags.store ?? meta.store }));
  try {
    await runtime.clear(codebase);
  } finally {
    await runtime.close();
  }
  return { root: codebase.root, clearedChunks: meta.chunks, unwatched };
}
