import { loadConfig } from '../config/config.js';
import { searchThroughDaemon } from '../daemon/route.js';
import { resolveCodebase } from '../index/codebase.js';
import { Runtime } from '../index/runtime.js';
import type { SearchOptions } from './searcher.js';
import type { SearchResult } from './types.js';

/** One-shot search of a codebase from any command: through the daemon when it runs, else loads what it needs and lets go. */
export async function searchCodebase(root: string, query: string, options: SearchOptions): Promise<SearchResult[]> {
  const codebase = await resolveCodebase(root);
  const config = loadConfig(codebase.root);
  const viaDaemon = await searchThroughDaemon(codebase.root, config, query, options);
  if (viaDaemon) return viaDaemon;
  const runtime = new Runtime(config);
  try {
    return await runtime.search(codebase, query, options);
  } finally {
    await runtime.close();
  }
}
