import { describeError } from '../errors.js';
import type { Codebase } from '../index/codebase.js';
import type { IndexProgress, IndexReport } from '../index/indexer.js';

/** One indexing run: reports progress, stops when the signal aborts. */
export type IndexRun = (options: { onProgress: (progress: IndexProgress) => void; signal: AbortSignal }) => Promise<IndexReport>;

export type IndexJob =
  /** `percent` is the most done this run has reported: a status call never shows less than the one before. */
  | { state: 'running'; startedAt: number; progress?: IndexProgress; percent?: number }
  | { state: 'done'; startedAt: number; finishedAt: number; report: IndexReport }
  | { state: 'failed'; startedAt: number; finishedAt: number; error: string };

interface RunningJob {
  job: IndexJob;
  controller: AbortController;
  finished: Promise<void>;
}

/**
 * Indexing runs in the background of the long-lived process: `start` returns at once, `get` reports the live
 * progress or how the last run ended, `cancel` stops a run before its index is dropped.
 */
export class IndexJobs {
  private readonly jobs = new Map<string, RunningJob>();

  /** Starts indexing unless a run for this codebase is already going; says which happened. */
  start(codebase: Codebase, run: IndexRun): 'started' | 'already running' {
    if (this.jobs.get(codebase.root)?.job.state === 'running') return 'already running';
    const controller = new AbortController();
    const entry: RunningJob = { job: { state: 'running', startedAt: Date.now() }, controller, finished: Promise.resolve() };
    entry.finished = run({
      signal: controller.signal,
      onProgress: (progress) => {
        if (entry.job.state !== 'running') return;
        const percent = progress.phase === 'count' ? undefined : percentDone(progress);
        entry.job = { ...entry.job, progress, percent: Math.max(entry.job.percent ?? 0, percent ?? 0) };
      },
    }).then(
      (report) => {
        entry.job = { state: 'done', startedAt: entry.job.startedAt, finishedAt: Date.now(), report };
      },
      (error: unknown) => {
        const message = controller.signal.aborted ? 'cancelled' : describeError(error);
        entry.job = { state: 'failed', startedAt: entry.job.startedAt, finishedAt: Date.now(), error: message };
        process.stderr.write(`codectx mcp: indexing ${codebase.root} failed: ${message}\n`);
      },
    );
    this.jobs.set(codebase.root, entry);
    return 'started';
  }

  get(codebase: Codebase): IndexJob | undefined {
    return this.jobs.get(codebase.root)?.job;
  }

  /** Stops a running job (if any), waits until it has let go of the index, and forgets it. */
  async cancel(codebase: Codebase): Promise<void> {
    const entry = this.jobs.get(codebase.root);
    if (!entry) return;
    entry.controller.abort();
    await entry.finished;
    this.jobs.delete(codebase.root);
  }

  async cancelAll(): Promise<void> {
    for (const entry of this.jobs.values()) entry.controller.abort();
    await Promise.all([...this.jobs.values()].map((entry) => entry.finished));
  }
}

/** Share of the chunks embedded; the totals are counted before embedding starts. 100 only once the run is over. */
function percentDone(progress: IndexProgress): number {
  const fraction = progress.chunksTotal > 0 ? progress.chunksDone / progress.chunksTotal : progress.filesDone / Math.max(1, progress.filesTotal);
  return Math.min(99, Math.floor(100 * fraction));
}
