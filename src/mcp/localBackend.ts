import { rm } from 'node:fs/promises';
import type { ContextBlock } from '../context/build.js';
import { resolveCodebase } from '../index/codebase.js';
import { readMeta } from '../index/meta.js';
import type { RouteDecision } from '../route/router.js';
import { routingSettings } from '../route/settings.js';
import type { SearchOptions } from '../search/searcher.js';
import type { SearchResult } from '../search/types.js';
import type { IndexingStatus } from './format.js';
import { IndexJobs } from './indexJobs.js';
import { TaskRouter } from './routeTask.js';
import { RuntimePool } from './runtimePool.js';
import { taskContext } from './taskContext.js';

/** Pre-search budget for get_task_context when neither the call nor the project's `context.budgetTokens` sets one. */
export const DEFAULT_TASK_BUDGET = 4000;

/** What the MCP tools need from codectx, whether the work happens in a daemon or in this process. */
export interface CodectxBackend {
  startIndexing(path: string, force: boolean): Promise<{ root: string; outcome: 'started' | 'already running' }>;
  indexingStatus(path: string): Promise<IndexingStatus>;
  search(path: string, query: string, options: SearchOptions): Promise<{ root: string; results: SearchResult[] }>;
  clear(path: string): Promise<{ root: string; clearedChunks?: number }>;
  taskContext(path: string, task: string, budgetTokens?: number): Promise<ContextBlock>;
  /** Routes with the policy of the project at `projectPath` (the server's working directory). */
  route(task: string, projectPath: string): Promise<RouteDecision>;
  close(): Promise<void>;
}

/** Does the work in this process, keeping one runtime (model, stores) per configuration loaded between calls. */
export class LocalBackend implements CodectxBackend {
  private readonly pool = new RuntimePool();
  private readonly jobs = new IndexJobs(this.pool);
  private readonly router = new TaskRouter();

  async startIndexing(path: string, force: boolean) {
    const codebase = await resolveCodebase(path);
    return { root: codebase.root, outcome: this.jobs.start(codebase, force) };
  }

  async indexingStatus(path: string): Promise<IndexingStatus> {
    const codebase = await resolveCodebase(path);
    return { root: codebase.root, job: this.jobs.get(codebase), meta: await readMeta(codebase.indexDir) };
  }

  async search(path: string, query: string, options: SearchOptions) {
    const codebase = await resolveCodebase(path);
    const results = await this.pool.use(codebase, (runtime) => runtime.search(codebase, query, options));
    return { root: codebase.root, results };
  }

  async clear(path: string) {
    const codebase = await resolveCodebase(path);
    await this.jobs.cancel(codebase);
    const meta = await readMeta(codebase.indexDir);
    if (!meta) return { root: codebase.root };
    await this.pool.use(codebase, async (runtime) => {
      await (await runtime.store(codebase, meta.dimension)).drop();
      // The runtime still holds the dropped table open; later work must start from a fresh one.
      this.pool.retire(codebase);
    });
    await rm(codebase.indexDir, { recursive: true, force: true });
    return { root: codebase.root, clearedChunks: meta.chunks };
  }

  async taskContext(path: string, task: string, budgetTokens?: number): Promise<ContextBlock> {
    const codebase = await resolveCodebase(path);
    return this.pool.use(codebase, (runtime, config) => {
      const budget = budgetTokens ?? routingSettings(config.project).context.budgetTokens ?? DEFAULT_TASK_BUDGET;
      return taskContext(runtime, codebase, config, task, budget);
    });
  }

  async route(task: string, projectPath: string): Promise<RouteDecision> {
    const project = await resolveCodebase(projectPath);
    return this.pool.use(project, async (runtime, config) => this.router.route(task, config.project, await runtime.embedder()));
  }

  async close(): Promise<void> {
    await this.jobs.cancelAll();
    await this.pool.close();
  }
}
