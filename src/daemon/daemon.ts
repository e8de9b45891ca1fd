import { rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { loadConfig, type CodectxConfig } from '../config/config.js';
import { codectxHome, makePrivateDir } from '../config/paths.js';
import { CodectxError, describeError, IndexStateError, UsageError } from '../errors.js';
import { notACodebase, resolveCodebase, resolveFolder } from '../index/codebase.js';
import { acquireLock } from '../index/lock.js';
import { configKey } from '../config/configKey.js';
import type { Logger } from './logger.js';
import { RunScheduler } from './scheduler.js';
import { daemonLockPath, daemonSocketPath, preparePrivateSocketDir } from './paths.js';
import {
  PROTOCOL_VERSION,
  type AddParams,
  type DaemonMethod,
  type DaemonMethods,
  type DaemonStatus,
  type IndexParams,
  type RootParams,
  type SearchParams,
} from './protocol.js';
import { listCodebases, registerCodebase, unregisterCodebase } from './registry.js';
import { RuntimePool } from '../runtime/runtimePool.js';
import { DaemonRequestError, serveSocket, type MethodHandler, type SocketServer } from './server.js';
import { WatchedCodebase, type WatchTiming } from './watchedCodebase.js';

export interface DaemonOptions {
  version: string;
  log: Logger;
  timing?: Partial<WatchTiming>;
}

/** A model unused this long is let go (an idle daemon shrinks to its base memory); the next use reloads it. */
const RELEASE_IDLE_RUNTIMES_MS = 10 * 60_000;
/** How often the daemon checks that its socket file is still there (tmp cleaners delete old files in /tmp). */
const SOCKET_CHECK_MS = 5_000;

type Handlers = {
  [M in DaemonMethod]: (
    params: DaemonMethods[M]['params'],
    progress: (value: unknown) => void,
  ) => Promise<DaemonMethods[M]['result']>;
};

/**
 * The per-user background indexer: watches every registered codebase, keeps their indexes current, and answers
 * searches with models already loaded. `run()` resolves once the daemon has stopped (stop request or signal).
 */
export class Daemon {
  private readonly runtimes = new RuntimePool();
  private readonly scheduler = new RunScheduler();
  private readonly watched = new Map<string, WatchedCodebase>();
  private server?: SocketServer;
  private releaseLock?: () => Promise<void>;
  private readonly startedAt = new Date().toISOString();
  private readonly socketPath = daemonSocketPath();
  private stopping?: Promise<void>;
  private releaseTimer?: NodeJS.Timeout;
  private socketTimer?: NodeJS.Timeout;
  private socketProblem?: string;
  private searches = 0;
  private resolveStopped!: () => void;
  private readonly stopped = new Promise<void>((resolve) => (this.resolveStopped = resolve));

  constructor(private readonly options: DaemonOptions) {}

  async run(): Promise<void> {
    const log = this.options.log;
    makePrivateDir(codectxHome());
    this.releaseLock = await daemonLock();
    try {
      // We hold the lock, so a socket file left here belongs to a daemon that died: clear it.
      preparePrivateSocketDir(this.socketPath);
      if (process.platform !== 'win32') await rm(this.socketPath, { force: true });
      this.server = await serveSocket(this.socketPath, this.handlers(), (message) => log.error(message));
    } catch (error) {
      await this.releaseLock();
      throw error;
    }
    log.info(`daemon ${process.pid} (codectx ${this.options.version}) listening on ${this.socketPath}`);
    this.releaseTimer = setInterval(() => void this.releaseIdleRuntimes(), 60_000);
    this.releaseTimer.unref();
    this.socketTimer = setInterval(() => void this.keepSocket(), SOCKET_CHECK_MS);
    this.socketTimer.unref();
    for (const entry of await listCodebases().catch((error: unknown) => {
      log.error(describeError(error));
      return [];
    })) {
      // Registered before such roots were refused: watching `/` took every watcher and gigabytes.
      const refusal = notACodebase(entry.root);
      if (refusal) log.error(`not watching ${entry.root}: ${refusal}`);
      else await this.watch(entry.root);
    }
    await this.stopped;
  }

  /** Clean shutdown: stop accepting, stop watchers and runs, close runtimes, remove socket and lock. */
  stop(reason: string): Promise<void> {
    this.stopping ??= (async () => {
      this.options.log.info(`stopping (${reason})`);
      clearInterval(this.releaseTimer);
      clearInterval(this.socketTimer);
      await this.server?.close().catch(() => undefined);
      await Promise.allSettled([...this.watched.values()].map((watched) => watched.stop()));
      this.watched.clear();
      await this.runtimes.closeAll();
      await this.releaseLock?.();
      this.options.log.info('stopped');
      this.resolveStopped();
    })();
    return this.stopping;
  }

  status(): DaemonStatus {
    return {
      pid: process.pid,
      socket: this.socketPath,
      startedAt: this.startedAt,
      version: this.options.version,
      ...memoryFigures(),
      runtimes: this.runtimes.size,
      searches: this.searches,
      codebases: [...this.watched.values()].map((watched) => watched.status()),
    };
  }

  /** Listens again when the socket file was deleted: clients would otherwise find no daemon while it runs on. */
  private async keepSocket(): Promise<void> {
    const log = this.options.log;
    try {
      preparePrivateSocketDir(this.socketPath);
      if (await this.server?.relistenIfGone()) log.info(`the socket ${this.socketPath} was deleted; listening on it again`);
      this.socketProblem = undefined;
    } catch (error) {
      // Once per problem, not every few seconds.
      const problem = describeError(error);
      if (problem !== this.socketProblem) log.error(`cannot listen again on ${this.socketPath}: ${problem}`);
      this.socketProblem = problem;
    }
  }

  private async releaseIdleRuntimes(): Promise<void> {
    const released = await this.runtimes.releaseIdle(RELEASE_IDLE_RUNTIMES_MS);
    if (released > 0) this.options.log.info(`released ${released} idle runtime(s) (models reload on the next search or change)`);
  }

  private async watch(root: string): Promise<WatchedCodebase> {
    let watched = this.watched.get(root);
    if (!watched) {
      watched = new WatchedCodebase(root, { runtimes: this.runtimes, scheduler: this.scheduler, log: this.options.log, timing: this.options.timing });
      this.watched.set(root, watched);
      this.options.log.info(`watching ${root}`);
      await watched.start();
    }
    return watched;
  }

  private handlers(): Record<string, MethodHandler> {
    const handlers: Handlers = {
      ping: async () => ({ pid: process.pid, version: this.options.version, protocol: PROTOCOL_VERSION }),
      status: async () => this.status(),
      search: async (params) => {
        const { root, query, limit, filter, globs, definitionText, configKey: clientKey } = expectParams<SearchParams>(params, ['root', 'query', 'limit', 'configKey']);
        const codebase = await resolveCodebase(root);
        const config = this.configFor(codebase.root, clientKey);
        this.searches++;
        return this.runtimes.use(config, (runtime) => runtime.search(codebase, query, { limit, filter, globs, definitionText }));
      },
      index: async (params, progress) => {
        const { root, force, configKey: clientKey } = expectParams<IndexParams>(params, ['root', 'configKey']);
        const codebase = await resolveCodebase(root);
        this.configFor(codebase.root, clientKey);
        // `index` registers on first use, as the CLI does without a daemon.
        await registerCodebase(codebase.root);
        const watched = await this.watch(codebase.root);
        return watched.index({ force, onProgress: progress });
      },
      add: async (params) => {
        const { root, configKey: clientKey } = expectParams<AddParams>(params, ['root', 'configKey']);
        const codebase = await resolveCodebase(root);
        // Watched here, it would be indexed with this daemon's settings: another store or model than the caller's.
        this.configFor(codebase.root, clientKey);
        const added = await registerCodebase(codebase.root);
        await this.watch(codebase.root);
        return { root: codebase.root, added };
      },
      remove: async (params) => {
        const { root } = expectParams<RootParams>(params, ['root']);
        // A deleted codebase can still be removed: fall back to the path as given.
        const real = await resolveFolder(root).then((codebase) => codebase.root, () => resolve(root));
        const removed = await unregisterCodebase(real);
        const watched = this.watched.get(real);
        this.watched.delete(real);
        await watched?.stop();
        if (watched) this.options.log.info(`stopped watching ${real}`);
        return { root: real, removed: removed || watched !== undefined };
      },
      stop: async () => {
        setImmediate(() => void this.stop('stop requested'));
        return { stopping: true as const };
      },
    };
    return handlers as unknown as Record<string, MethodHandler>;
  }

  /** The daemon's configuration for a codebase, refusing when the client resolved a different one. */
  private configFor(root: string, clientKey: string): CodectxConfig {
    const config = loadConfig(root);
    if (configKey(config) !== clientKey) {
      throw new DaemonRequestError(
        `the daemon's configuration for ${root} differs from this command's (flags or CODECTX_* environment)`,
        'config-mismatch',
      );
    }
    return config;
  }
}

function memoryFigures(): Pick<DaemonStatus, 'rssBytes' | 'heapUsedBytes' | 'externalBytes'> {
  const usage = process.memoryUsage();
  return { rssBytes: usage.rss, heapUsedBytes: usage.heapUsed, externalBytes: usage.external };
}

function expectParams<T>(params: unknown, required: (keyof T & string)[]): T {
  if (!params || typeof params !== 'object') throw new UsageError('missing request parameters');
  for (const key of required) {
    if ((params as Record<string, unknown>)[key] === undefined) throw new UsageError(`missing parameter "${key}"`);
  }
  return params as T;
}

/** How long a starting daemon waits for the lock of one that is going away (stopping, or killed and still exiting). */
const LOCK_PATIENCE_MS = 3000;

/**
 * The daemon lock. A daemon killed with -9 takes a second or two to exit, and `daemon start` right after it failed
 * ("process N holds daemon.lock"): a holder that does not go within the patience is a running daemon.
 */
async function daemonLock(): Promise<() => Promise<void>> {
  const deadline = Date.now() + LOCK_PATIENCE_MS;
  for (;;) {
    try {
      return await acquireLock(daemonLockPath(), 'the codectx daemon');
    } catch (error) {
      if (!(error instanceof IndexStateError)) throw error;
      if (Date.now() >= deadline) throw new CodectxError(`a daemon is already running (${error.message})`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
