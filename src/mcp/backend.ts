import { loadConfig } from '../config/config.js';
import type { ContextBlock } from '../context/build.js';
import { classifierConfig } from '../context/services.js';
import { configKey } from '../daemon/configKey.js';
import { resolveCodebase, type Codebase } from '../index/codebase.js';
import { readMeta } from '../index/meta.js';
import { IndexStateError } from '../errors.js';
import type { RouteDecision } from '../route/router.js';
import { routingSettings } from '../route/settings.js';
import type { SearchOptions } from '../search/searcher.js';
import type { SearchResult } from '../search/types.js';
import type { IndexingStatus } from './format.js';
import { IndexJobs } from './indexJobs.js';
import { routeTask } from './routeTask.js';
import { RuntimePool } from '../daemon/runtimePool.js';
import { taskContext } from './taskContext.js';
import { clearIndex } from '../app/clear.js';
import type { IndexingScope } from './roots.js';
import { searchViaDaemon, viaDaemon } from './viaDaemon.js';

/** Pre-search budget for get_task_context when neither the call nor the project's `context.budgetTokens` sets one. */
const DEFAULT_TASK_BUDGET = 4000;

/**
 * What the MCP tools do. Searching and indexing go to the codectx daemon when one runs (its models are loaded
 * and it keeps the index fresh afterwards); otherwise they run here, with one runtime per configuration kept
 * loaded between calls. Indexing always runs in the background of this process, which tracks its progress.
 */
export class McpBackend {
  private readonly pool = new RuntimePool();
  private readonly jobs = new IndexJobs();

  constructor(private readonly scope: IndexingScope) {}

  /**
   * `ignore` adds rules for this run only, so it runs here: the daemon indexes with the configured rules alone
   * (and its watcher would index those files again later anyway).
   */
  async startIndexing(
    path: string,
    options: { force: boolean; ignore?: string[] },
  ): Promise<{ root: string; outcome: 'started' | 'already running' }> {
    const codebase = await resolveCodebase(path);
    await this.scope.check(codebase);
    const config = loadConfig(codebase.root);
    const key = configKey(config);
    const { force, ignore } = options;
    const outcome = this.jobs.start(codebase, async ({ onProgress, signal }) => {
      const report = ignore?.length ? undefined : await viaDaemon((daemon) => daemon.index(codebase.root, { force, configKey: key }, onProgress));
      return report ?? this.pool.use(config, (runtime) => runtime.index(codebase, { force, ignore, onProgress, signal }));
    });
    return { root: codebase.root, outcome };
  }

  async indexingStatus(path: string): Promise<IndexingStatus> {
    const codebase = await resolveCodebase(path);
    const status = await viaDaemon((daemon) => daemon.status());
    return {
      root: codebase.root,
      job: this.jobs.get(codebase),
      meta: await readMeta(codebase.indexDir),
      daemon: status?.codebases.find((watched) => watched.root === codebase.root),
    };
  }

  async search(path: string, query: string, options: SearchOptions): Promise<{ root: string; results: SearchResult[] }> {
    const codebase = await resolveCodebase(path);
    // Said the MCP way: the store's own message tells a person to run `codectx index`.
    if (!(await readMeta(codebase.indexDir))) throw new IndexStateError(`${codebase.root} is not indexed yet; call index_codebase first`);
    return { root: codebase.root, results: await this.searchCodebase(codebase, query, options) };
  }

  /** Stops any indexing of the codebase (here and in the daemon), then drops its store and index folder. */
  async clear(path: string): Promise<{ root: string; clearedChunks?: number }> {
    await this.jobs.cancel(await resolveCodebase(path));
    return clearIndex(path);
  }

  async taskContext(path: string, task: string, budgetTokens?: number): Promise<ContextBlock> {
    const codebase = await resolveCodebase(path);
    const config = loadConfig(codebase.root);
    const budget = budgetTokens ?? routingSettings(config.project).context.budgetTokens ?? DEFAULT_TASK_BUDGET;
    return taskContext(config, task, budget, (query, options) => this.searchCodebase(codebase, query, options));
  }

  /** Routes with the policy of the project at `projectPath` (the server's working directory). */
  async route(task: string, projectPath: string): Promise<RouteDecision> {
    const project = await resolveCodebase(projectPath);
    const config = loadConfig(project.root);
    return this.pool.use(classifierConfig(config), async (runtime) => routeTask(task, config.project, await runtime.embedder()));
  }

  async close(): Promise<void> {
    await this.jobs.cancelAll();
    await this.pool.closeAll();
  }

  private async searchCodebase(codebase: Codebase, query: string, options: SearchOptions): Promise<SearchResult[]> {
    return (await searchViaDaemon(codebase, query, options)) ?? this.pool.use(loadConfig(codebase.root), (runtime) => runtime.search(codebase, query, options));
  }
}
