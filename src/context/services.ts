import { loadConfig, type CodectxConfig } from '../config/config.js';
import type { EmbeddingProvider } from '../embed/types.js';
import { resolveCodebase } from '../index/codebase.js';
import { Runtime } from '../index/runtime.js';
import type { SearchOptions } from '../search/searcher.js';
import { searchDaemonOr } from '../search/service.js';
import type { SearchResult } from '../search/types.js';

/** What preparing a task needs from outside: a search of the codebase and the local model for the classifier. */
export interface TaskServices {
  /** Throws IndexStateError when the codebase has no usable index. */
  search(query: string, options: SearchOptions): Promise<SearchResult[]>;
  /** The offline model the classifier compares the task with its labelled examples on. */
  localEmbedder(): Promise<EmbeddingProvider>;
}

/**
 * The configuration whose model the classifier uses: the codebase's own when it embeds locally (one model
 * loaded for search and classification), else the default local model (its example vectors are cached per model).
 */
export function classifierConfig(config: CodectxConfig): CodectxConfig {
  return config.embedding.provider === 'local' ? config : { ...config, embedding: { provider: 'local' } };
}

/**
 * Task services for one codebase, from a CLI process: search goes through the daemon when one runs, else to a
 * runtime loaded here, whose model the classifier shares when the codebase embeds locally, so a cold `route` or
 * `ask` loads the model once. Runtimes load lazily, and everything loaded is let go when `work` ends.
 */
export async function withTaskServices<T>(root: string, work: (services: TaskServices) => Promise<T>): Promise<T> {
  const codebase = await resolveCodebase(root);
  const config = loadConfig(codebase.root);
  const runtime = new Runtime(config);
  const forClassifier = classifierConfig(config);
  const classifierRuntime = forClassifier === config ? runtime : new Runtime(forClassifier);
  try {
    return await work({
      search: (query, options) => searchDaemonOr(runtime, codebase, query, options),
      localEmbedder: () => classifierRuntime.embedder(),
    });
  } finally {
    await runtime.close();
    if (classifierRuntime !== runtime) await classifierRuntime.close();
  }
}
