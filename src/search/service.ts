import { loadConfig } from '../config/config.js';
import { searchThroughDaemon } from '../daemon/route.js';
import { resolveCodebase, type Codebase } from '../index/codebase.js';
import { Runtime } from '../index/runtime.js';
import type { SearchOptions } from './searcher.js';
import type { SearchResult } from './types.js';

/** One-shot search of a codebase from any command: through the daemon when it runs, else loads what it needs and lets go. */
export async function searchCodebase(root: string, query: string, options: SearchOptions): Promise<SearchResult[]> {
  const codebase = await resolveCodebase(root);
  const runtime = new Runtime(loadConfig(codebase.root));
  try {
    return await searchDaemonOr(runtime, codebase, query, options);
  } finally {
    await runtime.close();
  }
}

/** Through the daemon when it runs with this configuration (its model is loaded), else with `runtime`, which loads only then. */
export async function searchDaemonOr(runtime: Runtime, codebase: Codebase, query: string, options: SearchOptions): Promise<SearchResult[]> {
  return (await searchThroughDaemon(codebase.root, runtime.config, query, options)) ?? runtime.search(codebase, query, options);
}
