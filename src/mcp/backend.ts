import { relative } from 'node:path';
import { throughDaemon } from '../app/dispatch.js';
import { classifierConfig, CodectxService } from '../app/service.js';
import type { ContextBlock } from '../context/build.js';
import { taskContext } from '../context/taskContext.js';
import { folderToClear, resolveCodebase, resolveFolder, type Codebase } from '../index/codebase.js';
import { NotIndexedError, UsageError } from '../errors.js';
import type { RouteDecision } from '../route/router.js';
import { routingSettings } from '../route/settings.js';
import type { SearchOptions } from '../search/searcher.js';
import type { SearchResult } from '../search/types.js';
import type { IndexingStatus } from './format.js';
import { IndexJobs } from './indexJobs.js';
import type { ClientScope } from './roots.js';
import { routeTask } from './routeTask.js';

type Search = (query: string, options: SearchOptions) => Promise<SearchResult[]>;

/** Pre-search budget for get_task_context when neither the call nor the project's `context.budgetTokens` sets one. */
const DEFAULT_TASK_BUDGET = 4000;

/**
 * What the MCP tools do, over the application service: work goes to the codectx daemon when one runs (its models
 * are loaded and it keeps the index fresh afterwards), otherwise it runs here, with runtimes kept loaded between
 * calls. Indexing always runs in the background of this process, which tracks its progress.
 */
export class McpBackend {
  private readonly service = new CodectxService();
  private readonly jobs = new IndexJobs();

  constructor(private readonly scope: ClientScope) {}

  /**
   * `ignore` adds rules for this run only, so it runs here: the daemon indexes with the configured rules alone
   * (and its watcher would index those files again later anyway).
   */
  async startIndexing(
    path: string,
    options: { force: boolean; ignore?: string[] },
  ): Promise<{ root: string; outcome: 'started' | 'already running' }> {
    // The folder given is the codebase to index (a subfolder of an indexed one is indexed on its own, as `codectx index` does).
    const codebase = await resolveCodebase(path);
    await this.scope.checkIndexing(codebase);
    const outcome = this.jobs.start(codebase, async ({ onProgress, signal }) => (await this.service.index(codebase, { ...options, onProgress, signal })).report);
    return { root: codebase.root, outcome };
  }

  async indexingStatus(path: string): Promise<IndexingStatus> {
    await this.scope.areaOf((await resolveFolder(path)).root);
    const codebase = await this.service.locate(path);
    const status = await throughDaemon((daemon) => daemon.status());
    return {
      root: codebase.root,
      job: this.jobs.get(codebase),
      meta: await this.service.meta(codebase),
      daemon: status?.codebases.find((watched) => watched.root === codebase.root),
    };
  }

  async search(path: string, query: string, options: SearchOptions): Promise<{ root: string; results: SearchResult[]; note?: string }> {
    if (query.trim() === '') throw new UsageError('the query is empty');
    const { codebase, label, search } = await this.readable(path);
    try {
      const results = await search(query, options);
      const note = await this.service.buildingNote(codebase);
      return { root: label, results, ...(note && { note }) };
    } catch (error) {
      // Said the MCP way: the runtime's own message tells a person to run `codectx index`. The runtime decides,
      // from the index state (local, or a shared Milvus index with no local trace), not a local file check here.
      if (error instanceof NotIndexedError) throw new NotIndexedError(`${codebase.root} is not indexed yet; call index_codebase first`);
      throw error;
    }
  }

  /** Stops any indexing of the codebase (here and in the daemon), then drops its store and index folder. */
  async clear(path: string): Promise<{ root: string; cleared: boolean; clearedChunks?: number }> {
    const folder = await folderToClear(path);
    await this.scope.areaOf(folder.root);
    await this.jobs.cancel(folder);
    return this.service.clear(path);
  }

  /** The block, and a note when the index is still being built from nothing (a CREATE then means little). */
  async taskContext(path: string, task: string, budgetTokens?: number): Promise<{ block: ContextBlock; note?: string }> {
    refuseEmptyTask(task);
    const { codebase, search } = await this.readable(path);
    const config = this.service.config(codebase);
    const budget = budgetTokens ?? routingSettings(config.project).context.budgetTokens ?? DEFAULT_TASK_BUDGET;
    const block = await taskContext(config, task, budget, search);
    const note = await this.service.buildingNote(codebase);
    return { block, ...(note && { note }) };
  }

  /**
   * The codebase a read about `path` goes to, and a search of it kept to the folder asked about, as `search -p src`
   * does (a subfolder's search answered from the whole codebase): the whole codebase when `path` is its root, else
   * that folder, which lies in the part the client may read (when the index is a parent's, found by walking up
   * out of the client's folder, that folder only).
   */
  private async readable(path: string): Promise<{ codebase: Codebase; label: string; search: Search }> {
    const folder = (await resolveFolder(path)).root;
    const codebase = await this.service.locate(folder);
    const area = await this.scope.readableArea(codebase, folder);
    const within = folder !== codebase.root ? folder : area;
    if (within === undefined) return { codebase, label: codebase.root, search: (query, options) => this.service.search(codebase, query, options) };
    const pathPrefix = `${relative(codebase.root, within)}/`;
    return {
      codebase,
      label: `${codebase.root} (only ${pathPrefix}${within === area ? `: this client works in ${area}` : ''})`,
      search: (query, options) => this.service.search(codebase, query, { ...options, filter: { ...options.filter, pathPrefix } }),
    };
  }

  /** Routes with the policy of the project at `projectPath` (the server's working directory). */
  async route(task: string, projectPath: string): Promise<RouteDecision> {
    refuseEmptyTask(task);
    const config = await this.service.configAt(projectPath);
    return this.service.withRuntime(classifierConfig(config), async (runtime) => routeTask(task, config.project, await runtime.embedder()));
  }

  async close(): Promise<void> {
    await this.jobs.cancelAll();
    await this.service.close();
  }
}

/** As the CLI refuses it: a blank task would get a CREATE verdict or a route from no words at all. */
function refuseEmptyTask(task: string): void {
  if (task.trim() === '') throw new UsageError('the task is empty');
}
