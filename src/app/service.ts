import { loadConfig, type CodectxConfig, type ConfigFlags } from '../config/config.js';
import { CodectxError, IndexStateError, UsageError } from '../errors.js';
import { configKey } from '../config/configKey.js';
import type { TaskServices } from '../context/prepare.js';
import { folderToClear, notACodebase, resolveFolder, type Codebase } from '../index/codebase.js';
import { dryRunIndex, type DryRun } from '../index/dryRun.js';
import type { IndexOptions, IndexReport } from '../index/indexer.js';
import { readMeta, readMetaIfSound, type IndexMeta } from '../index/meta.js';
import type { RuntimePool } from '../runtime/runtimePool.js';
import type { IndexStatus, Runtime } from '../runtime/runtime.js';
import type { SearchOptions } from '../search/searcher.js';
import type { SearchResult } from '../search/types.js';
import { connectDaemon, DaemonCallError } from '../daemon/client.js';
import { registerCodebase } from '../daemon/registry.js';
import { count, printable } from '../text.js';
import { throughDaemon } from './dispatch.js';
import { indexedAbove, indexTarget, locateCodebase, pointsAtMilvus, type IndexTarget, type SharedIndexProbe } from './locate.js';

export interface ClearOutcome {
  root: string;
  /** There was an index, and it is gone. */
  cleared: boolean;
  /** Chunks the dropped index held; unknown when there was none, or its metadata was damaged. */
  clearedChunks?: number;
  /** The running daemon watched the codebase, and stopped (it would have rebuilt the index on the next save). */
  unwatched: boolean;
  /** The store whose index was cleared (or was looked for). */
  store: string;
  /** Another store whose index the codebase's folder holds, which stays (as does the daemon's watch of it). */
  kept?: string;
  /**
   * Only this machine's record of a Milvus index went: the folder no longer gives the key its shared index is
   * stored under (deleted, or its remote changed), which stays on the server. The key, or '' when not recorded.
   */
  sharedKept?: string;
}

/**
 * The one way every front-end (CLI commands, MCP tools, the Claude Code hook) reaches the core: it resolves the
 * codebase (walking up from a subfolder to its index), reads the configuration once with the caller's flags,
 * sends work to the daemon when one runs and can serve it, and otherwise does it here with runtimes it loads on
 * first use and releases in `close`. The daemon's own handlers use the runtimes directly: it is the "here".
 */
export class CodectxService {
  private pool?: Promise<RuntimePool>;

  constructor(private readonly flags: ConfigFlags = {}) {}

  /** Walking up asks the server only about folders whose settings point at Milvus. */
  private readonly sharedProbe: SharedIndexProbe = {
    pointsAtShared: (dir) => pointsAtMilvus(dir, this.flags),
    hasIndex: async (codebase) => (await this.meta(codebase)) !== undefined,
  };

  /** The codebase a path is about (see locateCodebase), found by a shared index too. */
  locate(path: string): Promise<Codebase> {
    return locateCodebase(path, this.sharedProbe);
  }

  /** What `codectx index` run for `path` (or for no path) indexes (see indexTarget). */
  indexTarget(path: string | undefined): Promise<IndexTarget> {
    return indexTarget(path, this.sharedProbe);
  }

  /** `start` or its nearest parent with an index, local or shared (see indexedAbove). */
  indexedAbove(start: string): Promise<Codebase | undefined> {
    return indexedAbove(start, this.sharedProbe);
  }

  /** The index's metadata: from the shared state when the codebase's settings point at Milvus, else the local file. */
  async meta(codebase: Codebase): Promise<IndexMeta | undefined> {
    const config = await this.builtWith(codebase);
    if (config.store !== 'milvus') return readMeta(codebase.indexDir);
    return this.withRuntime(config, async (runtime) => (await runtime.state(codebase)).readMeta(true));
  }

  config(codebase: Codebase): CodectxConfig {
    return loadConfig(codebase.root, this.flags);
  }

  /**
   * Through the daemon when it runs, else in this process. `daemon.waitMs` bounds the wait for the daemon's answer
   * before searching here instead (the hook's prompt cannot wait long), and `daemon.onGone` hears why it gave up.
   */
  async search(
    codebase: Codebase,
    query: string,
    options: SearchOptions,
    daemon: { waitMs?: number; onGone?: (why: string) => void } = {},
  ): Promise<SearchResult[]> {
    const config = this.config(codebase);
    const key = configKey(config);
    return (
      (await throughDaemon((client) => client.search(codebase.root, query, { ...options, configKey: key }, daemon.waitMs), daemon.onGone)) ??
      (await this.withRuntime(config, (runtime) => runtime.search(codebase, query, options)))
    );
  }

  /**
   * Said beside a search's answer while the codebase's local index is being built from nothing: search answers from
   * what it holds so far, and "no results" read as if the code did not exist. (A build that stopped is refused by
   * search itself; a shared index says so from its own state.)
   */
  async buildingNote(codebase: Codebase): Promise<string | undefined> {
    if (this.config(codebase).store === 'milvus') return undefined;
    const meta = await readMetaIfSound(codebase.indexDir);
    if (!meta || meta.complete || !meta.fromScratch) return undefined;
    return `the index of ${printable(codebase.root)} is still being built (${count(meta.files, 'file')} so far): results cover only those`;
  }

  /**
   * Through the daemon when it runs, so its watcher and this run never contend for the index lock (the daemon
   * then also watches the codebase: `viaDaemon`).
   */
  async index(
    codebase: Codebase,
    options: IndexOptions & { force?: boolean; ignore?: readonly string[] },
  ): Promise<{ report: IndexReport; viaDaemon: boolean }> {
    const config = this.config(codebase);
    const key = configKey(config);
    let daemonTookIt = false;
    // Extra ignore rules hold for this run only, which the daemon (indexing with the configured rules) cannot do.
    const report = options.ignore?.length
      ? undefined
      : await throughDaemon((daemon) => {
          daemonTookIt = true;
          // An abort only hangs up: the daemon's run goes on, and must not be started over here.
          options.signal?.addEventListener('abort', () => daemon.close(), { once: true });
          return daemon.index(codebase.root, { force: options.force, configKey: key }, options.onProgress);
        });
    if (report) return { report, viaDaemon: true };
    if (options.signal?.aborted && daemonTookIt) throw new DaemonLeftRunning();
    return { report: await this.withRuntime(config, (runtime) => runtime.index(codebase, options)), viaDaemon: false };
  }

  /** What `index` would do (see dryRunIndex), a shared index's file list read from the server. */
  async dryRun(codebase: Codebase, force?: boolean): Promise<DryRun> {
    const config = this.config(codebase);
    const shared = force ? undefined : await this.withRuntime(config, (runtime) => runtime.sharedManifest(codebase));
    return dryRunIndex(codebase, config, { force, shared });
  }

  /**
   * What the index holds and what changed since (a shared index's state is read from the store). It is read with
   * the store it was built in, so a configuration that now names another store is reported here: search uses the
   * configured one, and status said nothing while search failed on a store that holds no such index.
   */
  async status(codebase: Codebase): Promise<IndexStatus | undefined> {
    const found = await this.withRuntime(await this.builtWith(codebase), (runtime) => runtime.status(codebase));
    const configured = this.config(codebase).store;
    if (!found || configured === found.meta.store) return found;
    return { ...found, settingsChange: `store ${found.meta.store} → ${configured}` };
  }

  /** The configuration with the store the index was built with, even if the settings changed since. */
  private async builtWith(codebase: Codebase): Promise<CodectxConfig> {
    return this.withHeldStore(codebase, await localStore(codebase));
  }

  /** The configuration for a folder that holds `held`'s index, unless a flag names the store. */
  private withHeldStore(codebase: Codebase, held: string | undefined): CodectxConfig {
    return loadConfig(codebase.root, { ...this.flags, store: this.flags.store ?? held });
  }

  /**
   * Drops a codebase's index: the daemon stops watching it first (its run is aborted, its counts go with it),
   * then the store the index was built with, and the index folder, are removed.
   */
  async clear(path: string): Promise<ClearOutcome> {
    const codebase = await folderToClear(path);
    const local = await readMetaIfSound(codebase.indexDir);
    const held = local?.store;
    const config = this.withHeldStore(codebase, held);
    // `clear --store milvus` where the folder holds a LanceDB index: that index stays, and so does the daemon's watch of it.
    const kept = held !== undefined && held !== config.store ? held : undefined;
    const removal = kept ? undefined : await throughDaemon((daemon) => daemon.remove(codebase.root));
    const unwatched = removal?.removed ?? false;
    const cleared = await this.withRuntime(config, (runtime) => runtime.clear(codebase, local));
    return {
      root: codebase.root,
      cleared: cleared !== undefined,
      clearedChunks: cleared?.chunks,
      unwatched,
      store: config.store,
      kept,
      ...(cleared?.sharedKept !== undefined ? { sharedKept: cleared.sharedKept } : {}),
    };
  }

  /**
   * Has the daemon keep a codebase indexed: the running daemon indexes and watches it now; with none running, it
   * is registered for the daemon's next start. A running daemon whose settings for it differ from this command's
   * is refused: it would keep an index with its own (another store or model), not the one this command means.
   */
  async watch(codebase: Codebase): Promise<{ added: boolean; daemonRuns: boolean }> {
    const key = configKey(this.config(codebase));
    const client = await connectDaemon();
    if (!client) return { added: await registerCodebase(codebase.root), daemonRuns: false };
    try {
      return { added: (await client.add(codebase.root, key)).added, daemonRuns: true };
    } catch (error) {
      if (error instanceof DaemonCallError && error.code === 'config-mismatch') throw new DaemonSettingsDiffer(codebase.root);
      throw error;
    } finally {
      client.close();
    }
  }

  /**
   * Task services for one codebase while `work` runs: search as above, and the local model for the classifier,
   * the codebase's own when it embeds locally (one model loaded for both).
   */
  async withTaskServices<T>(codebase: Codebase, work: (services: TaskServices) => Promise<T>): Promise<T> {
    return this.withRuntime(classifierConfig(this.config(codebase)), (classifier) =>
      work({ search: (query, options) => this.search(codebase, query, options), localEmbedder: () => classifier.embedder() }),
    );
  }

  /**
   * Task services for the codebase route and ask pre-search from `path` (see placeAt): from a folder that can never
   * be a codebase, its search says why, where `ask --no-context` there was refused.
   */
  async withTaskServicesAt<T>(path: string, work: (root: string, services: TaskServices) => Promise<T>): Promise<T> {
    const { codebase, refusal } = await this.placeAt(path);
    return this.withTaskServices(codebase, (services) =>
      work(codebase.root, refusal ? { ...services, search: () => Promise.reject(new IndexStateError(refusal)) } : services),
    );
  }

  /** The settings routing uses from `path` (see placeAt). */
  async configAt(path: string): Promise<CodectxConfig> {
    return this.config((await this.placeAt(path)).codebase);
  }

  /**
   * Where work that needs no codebase (routing, a model call) runs from `path`: its codebase, or a folder that can
   * never be one (the home folder, `/`, where some clients start an MCP server) as a folder not indexed, with why.
   */
  private async placeAt(path: string): Promise<{ codebase: Codebase; refusal?: string }> {
    const folder = await resolveFolder(path);
    const refusal = notACodebase(folder.root);
    return refusal ? { codebase: folder, refusal } : { codebase: await this.locate(path) };
  }

  /** Runs `work` with the runtime of `config`, loaded on first use and kept until `close`. */
  async withRuntime<T>(config: CodectxConfig, work: (runtime: Runtime) => Promise<T>): Promise<T> {
    // Loaded only when the work is done here: the store and model libraries take a while to import, and the hook
    // (on every prompt) usually has a daemon to ask.
    this.pool ??= import('../runtime/runtimePool.js').then(({ RuntimePool }) => new RuntimePool());
    return (await this.pool).use(config, work);
  }

  /** Releases every model and store this service loaded. */
  async close(): Promise<void> {
    await (await this.pool)?.closeAll();
  }
}

/** The caller stopped waiting for an index run the daemon does; the daemon goes on with it. */
export class DaemonLeftRunning extends CodectxError {
  constructor() {
    super('interrupted: the codectx daemon goes on indexing in the background', 130);
  }
}

/** The running daemon would index a codebase with other settings than the caller's (see CodectxService.watch). */
export class DaemonSettingsDiffer extends UsageError {
  constructor(root: string) {
    super(
      `the running daemon would index ${root} with other settings than this command's (flags or CODECTX_* environment); ` +
        'restart it with them (`codectx daemon stop`, then `codectx daemon start`), or run this without them',
    );
  }
}

/** The store whose index the codebase's folder holds; a shared index may leave no local trace, and damaged metadata names none. */
async function localStore(codebase: Codebase): Promise<string | undefined> {
  return (await readMetaIfSound(codebase.indexDir))?.store;
}

/** Runs `work` with a service for one command, and releases what it loaded afterwards. */
export async function withService<T>(flags: ConfigFlags, work: (service: CodectxService) => Promise<T>): Promise<T> {
  const service = new CodectxService(flags);
  try {
    return await work(service);
  } finally {
    await service.close();
  }
}

/**
 * The configuration whose model the classifier uses: the codebase's own when it embeds locally (one model
 * loaded for search and classification), else the default local model (its example vectors are cached per model).
 */
export function classifierConfig(config: CodectxConfig): CodectxConfig {
  return config.embedding.provider === 'local' ? config : { ...config, embedding: { provider: 'local' } };
}
