import { describe, expect, it } from 'vitest';
import { progressOf } from './helpers/progress.js';
import type { IndexProgress, IndexReport } from '../src/index/indexer.js';
import { IndexJobs, type IndexRun } from '../src/mcp/indexJobs.js';

const progress = progressOf;

describe('IndexJobs', () => {
  const codebase = { root: '/repo', collection: 'c', indexDir: '/tmp/none' };

  // get_indexing_status went from 99% to 82% as files read later grew the total.
  it('never reports a smaller percentage than before, and not 100% while running', async () => {
    const jobs = new IndexJobs();
    let report: (p: IndexProgress) => void = () => {};
    let release = () => {};
    const run: IndexRun = async ({ onProgress }) => {
      report = onProgress;
      await new Promise<void>((resolve) => (release = resolve));
      return {} as IndexReport;
    };
    jobs.start(codebase, run);
    const percentAfter = (p: IndexProgress) => {
      report(p);
      const job = jobs.get(codebase);
      return job?.state === 'running' ? job.percent : undefined;
    };
    expect(percentAfter(progress({ phase: 'count', filesToCount: 175, filesCounted: 175 }))).toBe(0);
    expect(percentAfter(progress({ filesTotal: 175, chunksTotal: 1037, chunksDone: 850 }))).toBe(81);
    // A file edited mid-run adds chunks: the share drops, what is shown does not.
    expect(percentAfter(progress({ filesTotal: 175, chunksTotal: 1100, chunksDone: 860 }))).toBe(81);
    expect(percentAfter(progress({ filesTotal: 175, filesDone: 175, chunksTotal: 1100, chunksDone: 1100 }))).toBe(99);
    release();
    await jobs.cancelAll();
  });
});
