import { loadConfig } from '../config/config.js';
import { resolveCodebase } from '../index/codebase.js';
import { Runtime } from '../index/runtime.js';
import type { SearchOptions } from './searcher.js';
import type { SearchResult } from './types.js';

/** One-shot search of a codebase from any command: loads what it needs, answers, and lets go. */
export async function searchCodebase(root: string, query: string, options: SearchOptions): Promise<SearchResult[]> {
  const codebase = await resolveCodebase(root);
  const runtime = new Runtime(loadConfig(codebase.root));
  try {
    return await runtime.search(codebase, query, options);
  } finally {
    await runtime.close();
  }
}
