import { stat } from 'node:fs/promises';
import { loadConfig } from '../config/config.js';
import { ownHomeIgnores } from '../config/paths.js';
import { describeError, EmbeddingError, IndexStateError, StoreError } from '../errors.js';
import { codebaseAt, type Codebase } from '../index/codebase.js';
import type { IndexProgress, IndexReport } from '../index/indexer.js';
import { readMeta } from '../index/meta.js';
import type { Logger } from './logger.js';
import type { CodebaseState, CodebaseStatus } from './protocol.js';
import type { RuntimePool } from '../runtime/runtimePool.js';
import type { RunPriority, RunScheduler } from './scheduler.js';
import { watchTree, type CodebaseWatcher, type WatchEvent } from './watcher.js';

export interface WatchTiming {
  /** A burst ends after this much quiet… */
  quietMs: number;
  /** …or this long after its first event, whichever comes first (a long save storm still gets indexed). */
  maxWaitMs: number;
  /** How often to check that the root still exists (renames send no event we can rely on). */
  pollMs: number;
  /** Wait before retrying when another process holds the codebase's index lock. */
  busyRetryMs: number;
  /** A change batch walks the whole tree again when the last whole walk is older than this. */
  reconcileMs: number;
  /** Wait before trying again after a run failed on the store or the embedding provider (a server down or restarting). */
  unreachableRetryMs: number;
}

// 200 ms of quiet covers an editor's save (temp file, rename, chmod land within a few ms) and measured ~150 ms
// faster change → searchable than 300 ms; a formatter rewriting after save just costs one more cheap run.
export const DEFAULT_TIMING: WatchTiming = {
  quietMs: 200,
  maxWaitMs: 2000,
  pollMs: 10_000,
  busyRetryMs: 2000,
  reconcileMs: 10 * 60_000,
  unreachableRetryMs: 30_000,
};

export interface WatchedCodebaseParts {
  runtimes: RuntimePool;
  /** Orders index runs across codebases: one model embeds for one run at a time, changes before bulk work. */
  scheduler: RunScheduler;
  log: Logger;
  timing?: Partial<WatchTiming>;
}

const LATENCY_SAMPLES = 50;

/**
 * One codebase kept up to date: file events are batched (quiet period, capped wait) into incremental index
 * runs, at most one run at a time with at most one more queued behind it, so a `git checkout` of hundreds of
 * files costs one or two runs. Failures are recorded and logged, never thrown at the daemon.
 */
export class WatchedCodebase {
  readonly codebase: Codebase;
  private readonly timing: WatchTiming;
  private state: CodebaseState = 'idle';
  private watcher?: CodebaseWatcher;
  private rootIno?: number;
  private restartWatcherBeforeRun = false;

  private pending = new Set<string>();
  private firstPendingAt?: number;
  private lastEventAt?: number;
  private quietTimer?: NodeJS.Timeout;
  private maxTimer?: NodeJS.Timeout;
  private pollTimer?: NodeJS.Timeout;

  /** Every run, batch or explicit, goes through this chain: never two runs of one codebase at once. */
  private chain: Promise<unknown> = Promise.resolve();
  /** The whole-tree run under way, which an explicit `index` joins rather than waiting to walk the tree again. */
  private wholeTreeRun?: { report: Promise<IndexReport>; listeners: Set<(progress: IndexProgress) => void> };
  private batchQueued = false;
  /** Changed paths a run has taken but cannot start on yet (another run has the model): still queued for status. */
  private waitingPaths = 0;
  /** The next batch run reconciles the whole tree (start, or the root came back): bulk work, not a change. */
  private reconcileDue = false;
  private lastWholeWalkAt = 0;
  private readonly abort = new AbortController();
  private stopped = false;

  private files = 0;
  private chunks = 0;
  private progress?: CodebaseStatus['progress'];
  private runs = 0;
  private lastIndexedAt?: string;
  private lastError?: string;
  private readonly latencies: number[] = [];

  constructor(
    readonly root: string,
    private readonly parts: WatchedCodebaseParts,
  ) {
    // Not resolveCodebase: a registered root may be gone.
    this.codebase = codebaseAt(root);
    this.timing = { ...DEFAULT_TIMING, ...parts.timing };
  }

  /** Starts watching and schedules a reconciling run (catches what changed while nobody watched). */
  async start(): Promise<void> {
    const meta = await readMeta(this.codebase.indexDir).catch(() => undefined);
    if (meta) {
      this.files = meta.files;
      this.chunks = meta.chunks;
      this.lastIndexedAt = meta.updatedAt;
    }
    this.pollTimer = setInterval(() => void this.checkRoot(), this.timing.pollMs);
    this.pollTimer.unref();
    const info = await stat(this.root).catch(() => undefined);
    if (!info?.isDirectory()) {
      this.markMissing();
      return;
    }
    this.rootIno = info.ino;
    this.startWatcher();
    this.reconcileDue = true;
    this.scheduleBatch(0);
  }

  /**
   * An explicit run (the `index` method), errors to the caller. While a whole-tree run is under way (the first run
   * after `add`, a reconcile) it joins that run, its progress and its report: queued behind it, `codectx index` sat
   * silent for the whole run (77 s) and then said "nothing changed". Files saved during that run get a run of their own.
   */
  async index(options: { force?: boolean; onProgress?: (progress: IndexProgress) => void } = {}): Promise<IndexReport> {
    const running = this.wholeTreeRun;
    if (!running || options.force) return this.exclusive(() => this.runIndex(options, 'bulk'));
    if (options.onProgress) running.listeners.add(options.onProgress);
    const report = await running.report;
    return this.pending.size > 0 ? this.exclusive(() => this.runIndex(options, 'bulk')) : report;
  }

  status(): CodebaseStatus {
    const sorted = [...this.latencies].sort((a, b) => a - b);
    const waiting = this.parts.scheduler.waitReason(this.root);
    return {
      root: this.root,
      state: waiting && this.state !== 'missing' ? 'waiting' : this.state,
      files: this.files,
      chunks: this.chunks,
      queue: this.pending.size + this.waitingPaths,
      lastEventAt: this.lastEventAt ? new Date(this.lastEventAt).toISOString() : undefined,
      lastIndexedAt: this.lastIndexedAt,
      lastError: this.lastError,
      waiting,
      ...(this.state === 'indexing' && this.progress ? { progress: this.progress } : {}),
      p50LatencyMs: sorted.length > 0 ? Math.round(sorted[Math.floor((sorted.length - 1) / 2)]!) : undefined,
      runs: this.runs,
    };
  }

  /** Stops watching, aborts the current run at its next batch boundary, and waits for it to end. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.clearTimers();
    clearInterval(this.pollTimer);
    this.abort.abort();
    await this.watcher?.close().catch(() => undefined);
    this.watcher = undefined;
    await this.chain.catch(() => undefined);
  }

  private onEvent(event: WatchEvent): void {
    if (this.stopped || this.state === 'missing') return;
    if (event.kind === 'root-gone') {
      void this.checkRoot();
      return;
    }
    if (event.kind === 'rules' || event.kind === 'rewatch') this.restartWatcherBeforeRun = true;
    const now = Date.now();
    this.lastEventAt = now;
    this.firstPendingAt ??= now;
    this.pending.add(event.path);
    this.scheduleBatch(this.timing.quietMs);
  }

  /**
   * (Re)arms the quiet timer; the max-wait timer is armed once per burst and never pushed back, and only for a wait
   * shorter than itself (a retry after a failed run waits its own time).
   */
  private scheduleBatch(quietMs: number): void {
    if (this.stopped) return;
    clearTimeout(this.quietTimer);
    this.quietTimer = setTimeout(() => this.fireBatch(), quietMs);
    if (!this.maxTimer && quietMs > 0 && quietMs < this.timing.maxWaitMs) this.maxTimer = setTimeout(() => this.fireBatch(), this.timing.maxWaitMs);
  }

  private fireBatch(): void {
    this.clearTimers();
    // A run already waiting in the chain will pick up everything pending when it starts.
    if (this.batchQueued || this.stopped) return;
    this.batchQueued = true;
    void this.exclusive(async () => {
      this.batchQueued = false;
      const priority: RunPriority = this.reconcileDue ? 'bulk' : 'change';
      this.reconcileDue = false;
      try {
        await this.runIndex({}, priority);
      } catch (error) {
        this.handleRunError(error);
      }
      if (this.pending.size > 0 && !this.stopped && this.state !== 'missing') this.scheduleBatch(this.timing.quietMs);
    });
  }

  private async runIndex(options: { force?: boolean; onProgress?: (progress: IndexProgress) => void }, priority: RunPriority): Promise<IndexReport> {
    const since = this.firstPendingAt;
    const taken = this.pending;
    this.pending = new Set();
    this.firstPendingAt = undefined;
    try {
      this.abort.signal.throwIfAborted();
      if (!(await this.rootPresent())) {
        this.markMissing();
        throw new IndexStateError(`${this.root} is missing (deleted or renamed)`);
      }
      // A change batch diffs only the paths it touched; the whole tree is walked again when the ignore rules
      // changed, for bulk runs, and every so often to catch what no event reported.
      const wholeTree = priority === 'bulk' || this.restartWatcherBeforeRun || Date.now() - this.lastWholeWalkAt > this.timing.reconcileMs;
      if (this.restartWatcherBeforeRun) this.restartWatcher();
      if (wholeTree) this.lastWholeWalkAt = Date.now();
      const config = loadConfig(this.root);
      this.waitingPaths = taken.size;
      const listeners = new Set<(progress: IndexProgress) => void>();
      if (options.onProgress) listeners.add(options.onProgress);
      const run = this.parts.scheduler.run({ owner: this.root, priority }, (yieldTurn) =>
        this.parts.runtimes.use(config, async (runtime) => {
          this.waitingPaths = 0;
          this.state = 'indexing';
          try {
            return await runtime.index(this.codebase, {
              ...options,
              signal: this.abort.signal,
              yieldTurn,
              paths: wholeTree ? undefined : [...taken],
              // Status shows what the index holds as groups land, not 0 (or the old counts) until the run ends.
              onProgress: (progress) => {
                this.files = progress.indexFiles;
                this.chunks = progress.indexChunks;
                this.progress = runProgress(progress);
                for (const listener of listeners) listener(progress);
              },
            });
          } finally {
            this.progress = undefined;
            if (this.state === 'indexing') this.state = 'idle';
          }
        }),
      );
      if (wholeTree) this.wholeTreeRun = { report: run, listeners };
      let report: IndexReport;
      try {
        report = await run;
      } finally {
        if (this.wholeTreeRun?.report === run) this.wholeTreeRun = undefined;
      }
      this.recordRun(report, since);
      return report;
    } catch (error) {
      const passed = passing(error);
      this.waitingPaths = 0;
      // The paths this run took may not all be indexed: the next run walks the whole tree.
      this.lastWholeWalkAt = 0;
      if (isLockBusy(error) && !this.stopped) {
        // Another process (a CLI `index`) holds the lock: put the work back and try again shortly.
        for (const path of taken) this.pending.add(path);
        this.firstPendingAt ??= since ?? Date.now();
        this.scheduleBatch(this.timing.busyRetryMs);
      } else if (!this.stopped && !(await this.rootPresent())) {
        this.markMissing();
      } else if ((error instanceof StoreError || error instanceof EmbeddingError || passed !== undefined) && !this.stopped) {
        // A file saved while Milvus or the embedding endpoint was down, the disk full or the codebase unreadable
        // waited for the next save to be indexed, forever in the last case (the watcher had lost the folder); the
        // retry walks the whole tree, so it also takes up what this run left, with a new watcher.
        this.reconcileDue = true;
        if (passed === 'unreadable') this.restartWatcherBeforeRun = true;
        this.scheduleBatch(this.timing.unreachableRetryMs);
      }
      throw error;
    }
  }

  private recordRun(report: IndexReport, since: number | undefined): void {
    this.runs++;
    this.files = report.totalFiles;
    this.chunks = report.totalChunks;
    this.lastIndexedAt = new Date().toISOString();
    this.lastError = report.errors.length > 0 ? `${report.errors[0]!.file}: ${report.errors[0]!.message}` : undefined;
    const latency = since === undefined ? undefined : Date.now() - since;
    if (latency !== undefined) {
      this.latencies.push(latency);
      if (this.latencies.length > LATENCY_SAMPLES) this.latencies.shift();
    }
    if (report.filesChanged + report.filesDeleted + report.filesDropped > 0 || report.errors.length > 0) {
      this.parts.log.info(
        `indexed ${this.root}: ${report.filesChanged} changed, ${report.filesDeleted} deleted, ${report.filesDropped} now skipped, ` +
          `${report.embedded} embedded, ${report.totalChunks} chunks in ${report.seconds.toFixed(2)}s` +
          (latency === undefined ? '' : `, ${latency} ms after the first change`) +
          (report.errors.length > 0 ? `, ${report.errors.length} files failed (first: ${this.lastError})` : ''),
      );
    }
  }

  private handleRunError(error: unknown): void {
    if (this.stopped && this.abort.signal.aborted) return;
    if (this.state === 'missing' || isLockBusy(error)) return;
    this.lastError = describeError(error);
    this.parts.log.error(`index of ${this.root} failed: ${this.lastError}`);
  }

  private startWatcher(): void {
    let extraIgnores = ownHomeIgnores(this.root);
    try {
      extraIgnores = [...loadConfig(this.root).ignore, ...extraIgnores];
    } catch (error) {
      // A broken config file is reported by the run that follows; watch with the defaults meanwhile.
      this.lastError = describeError(error);
    }
    this.watcher = watchTree(
      this.root,
      extraIgnores,
      (event) => this.onEvent(event),
      (error, ended) =>
        this.parts.log.error(
          ended
            ? `stopped watching ${this.root}: ${describeError(error)}; its index is kept current only by \`codectx index\``
            : `watching ${this.root}: ${describeError(error)}`,
        ),
    );
  }

  private restartWatcher(): void {
    this.restartWatcherBeforeRun = false;
    void this.watcher?.close().catch(() => undefined);
    this.startWatcher();
  }

  /** The slow poll: notices a root that vanished without an event, or came back, or was replaced. */
  private async checkRoot(): Promise<void> {
    if (this.stopped) return;
    const info = await stat(this.root).catch(() => undefined);
    if (this.stopped) return;
    const present = info?.isDirectory() ?? false;
    if (!present) {
      this.markMissing();
    } else if (this.state === 'missing' || info!.ino !== this.rootIno) {
      this.parts.log.info(`${this.root} is ${this.state === 'missing' ? 'back' : 'a new directory'}; re-indexing`);
      this.rootIno = info!.ino;
      if (this.state === 'missing') this.state = 'idle';
      void this.watcher?.close().catch(() => undefined);
      this.startWatcher();
      this.reconcileDue = true;
      this.scheduleBatch(0);
    }
  }

  private async rootPresent(): Promise<boolean> {
    return (await stat(this.root).catch(() => undefined))?.isDirectory() ?? false;
  }

  private markMissing(): void {
    if (this.state === 'missing') return;
    this.state = 'missing';
    this.lastError = 'the codebase directory is missing (deleted or renamed)';
    this.parts.log.error(`${this.root} is missing (deleted or renamed); checking every ${this.timing.pollMs / 1000}s for its return`);
    this.clearTimers();
    this.pending.clear();
    this.firstPendingAt = undefined;
    void this.watcher?.close().catch(() => undefined);
    this.watcher = undefined;
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.chain.catch(() => undefined).then(work);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private clearTimers(): void {
    clearTimeout(this.quietTimer);
    clearTimeout(this.maxTimer);
    this.quietTimer = undefined;
    this.maxTimer = undefined;
  }
}

const PASSING: Record<string, 'out of space' | 'unreadable'> = { ENOSPC: 'out of space', EDQUOT: 'out of space', EACCES: 'unreadable', EPERM: 'unreadable' };

/**
 * A failure that passes without a change to the code (a full disk or quota, a folder made unreadable for a while),
 * itself or as the cause of a typed error; undefined for any other.
 */
function passing(error: unknown): 'out of space' | 'unreadable' | undefined {
  for (let cause = error; cause instanceof Error; cause = cause.cause) {
    const kind = PASSING[(cause as NodeJS.ErrnoException).code ?? ''];
    if (kind) return kind;
  }
  return undefined;
}

function isLockBusy(error: unknown): boolean {
  return error instanceof IndexStateError && / is busy: process \d+ holds /.test(error.message);
}

function runProgress(progress: IndexProgress): CodebaseStatus['progress'] {
  return progress.phase === 'count'
    ? { phase: 'count', done: progress.filesCounted, total: progress.filesToCount }
    : { phase: 'embed', done: progress.filesDone, total: progress.filesTotal };
}
