import { loadConfig } from '../config/config.js';
import { searchThroughDaemon } from '../daemon/route.js';
import { createEmbeddingProvider } from '../embed/index.js';
import type { EmbeddingProvider } from '../embed/types.js';
import { resolveCodebase } from '../index/codebase.js';
import { Runtime } from '../index/runtime.js';
import type { SearchOptions } from '../search/searcher.js';
import type { SearchResult } from '../search/types.js';

/** What preparing a task needs from outside: a search of the codebase and the local model for the classifier. */
export interface TaskServices {
  /** Throws IndexStateError when the codebase has no usable index. */
  search(query: string, options: SearchOptions): Promise<SearchResult[]>;
  /** The offline model the classifier compares the task with its labelled examples on. */
  localEmbedder(): Promise<EmbeddingProvider>;
}

/**
 * Task services for one codebase, from a CLI process: search goes through the daemon when one runs, else to a
 * runtime loaded here; the classifier uses that same runtime's model when the codebase embeds locally, so a
 * cold `route` or `ask` loads the model once. Everything loaded is let go when `work` ends.
 */
export async function withTaskServices<T>(root: string, work: (services: TaskServices) => Promise<T>): Promise<T> {
  const codebase = await resolveCodebase(root);
  const config = loadConfig(codebase.root);
  const runtime = new Runtime(config);
  let ownLocal: Promise<EmbeddingProvider> | undefined;
  const services: TaskServices = {
    search: async (query, options) =>
      (await searchThroughDaemon(codebase.root, config, query, options)) ?? runtime.search(codebase, query, options),
    localEmbedder: () =>
      config.embedding.provider === 'local' ? runtime.embedder() : (ownLocal ??= createEmbeddingProvider({ provider: 'local' })),
  };
  try {
    return await work(services);
  } finally {
    await runtime.close();
    if (ownLocal) await (await ownLocal.catch(() => undefined))?.close();
  }
}
