/**
 * Tool answers as text a model reads well: `path:start-end symbol` headers over fenced code. Names from the codebase
 * and paths are escaped (printable): a newline in one would write a line of its own into the answer.
 */
import type { CodebaseStatus } from '../daemon/protocol.js';
import type { IndexMeta } from '../index/meta.js';
import { lineRange } from '../search/pieces.js';
import type { SearchResult } from '../search/types.js';
import type { IndexJob } from './indexJobs.js';
import { count, echoed, printable } from '../text.js';

export function formatSearchResults(results: SearchResult[], query: string, codebaseRoot: string): string {
  const root = printable(codebaseRoot);
  if (results.length === 0) return `No results for "${printable(echoed(query))}" in ${root}.`;
  const blocks = results.map((result, index) => {
    const name = printable([result.container, result.symbol].filter(Boolean).join('.'));
    const header = `${index + 1}. ${printable(result.file)}:${lineRange(result)}${name ? ` ${name}` : ''}`;
    const details = `(${result.kind}, ${result.language}, score ${result.score.toFixed(4)})`;
    return `${header} ${details}\n${fenced(result.content, result.language)}`;
  });
  return `Found ${count(results.length, 'result')} for "${printable(echoed(query))}" in ${root}:\n\n${blocks.join('\n\n')}`;
}

/** A fence longer than any backtick run inside, so Markdown chunks with their own fences stay intact. */
export function fenced(content: string, language: string): string {
  const fence = '`'.repeat(Math.max(3, ...(content.match(/`+/g) ?? []).map((run) => run.length + 1)));
  return `${fence}${language}\n${content}\n${fence}`;
}

export interface IndexingStatus {
  root: string;
  /** The background run this process knows of, if any. */
  job?: IndexJob;
  /** What is on disk. */
  meta?: IndexMeta;
  /** The daemon's view, when a running daemon watches the codebase. */
  daemon?: CodebaseStatus;
}

export function formatIndexingStatus(status: IndexingStatus, now = Date.now()): string {
  const { job, meta, daemon } = status;
  const root = printable(status.root);
  if (job?.state === 'running') {
    const progress = job.progress;
    if (!progress || (progress.phase === 'count' ? progress.filesToCount : progress.filesTotal) === 0) {
      return `Indexing ${root}: starting (loading the model, scanning files; ${seconds(now - job.startedAt)} so far).`;
    }
    if (progress.phase === 'count') {
      return (
        `Indexing ${root}: counting changes (${progress.filesCounted}/${progress.filesToCount} files read; ` +
        `${seconds(now - job.startedAt)} so far). Search works on what is already indexed.`
      );
    }
    return (
      `Indexing ${root}: ${job.percent ?? 0}% (${progress.filesDone}/${progress.filesTotal} files, ` +
      `${progress.chunksDone}/${progress.chunksTotal} chunks embedded` +
      `${progress.embeddingsPerSecond > 0 ? `, ${progress.embeddingsPerSecond.toFixed(1)} chunks/s` : ''}). ` +
      `Search works on what is already indexed.`
    );
  }
  if (job?.state === 'failed') {
    const before = meta ? ` The index on disk has ${count(meta.files, 'file')}, ${count(meta.chunks, 'chunk')}.` : '';
    return `Indexing ${root} failed: ${printable(job.error)}.${before} Call index_codebase again to retry.`;
  }
  if (job?.state === 'done') {
    const report = job.report;
    const lines = [
      `Indexing ${root} is complete: ${count(report.totalFiles, 'file')}, ${count(report.totalChunks, 'chunk')} ` +
        `(${count(report.filesChanged, 'new or changed file')}, ${count(report.chunksWritten, 'chunk')} written, ${count(report.filesDeleted + report.filesDropped, 'file')} removed) ` +
        `in ${report.seconds.toFixed(1)}s.`,
    ];
    if (daemon) lines.push(watchedLine(daemon));
    for (const error of report.errors.slice(0, 5)) lines.push(`Error: ${printable(`${error.file}: ${error.message}`)}`);
    return lines.join('\n');
  }
  if (daemon?.state === 'indexing') {
    return `The codectx daemon is updating the index of ${root} (${count(daemon.files, 'file')}, ${count(daemon.chunks, 'chunk')} before this run); search works meanwhile.`;
  }
  if (!meta) return `${root} is not indexed. Call index_codebase to index it.`;
  const lines = [
    meta.complete
      ? `${root} is indexed: ${count(meta.files, 'file')}, ${count(meta.chunks, 'chunk')}, updated ${meta.updatedAt}.`
      : `${root} has an unfinished index (${count(meta.files, 'file')}, ${count(meta.chunks, 'chunk')}, last written ${meta.updatedAt}); ` +
        `another process may be indexing it, or a run was interrupted (index_codebase repairs it).`,
  ];
  if (daemon) lines.push(watchedLine(daemon));
  for (const error of meta.lastErrors.slice(0, 5)) lines.push(`Error: ${printable(`${error.file}: ${error.message}`)}`);
  return lines.join('\n');
}

function watchedLine(daemon: CodebaseStatus): string {
  return `The codectx daemon watches it and re-indexes changed files${daemon.lastError ? `; its last run failed: ${printable(daemon.lastError)}` : ''}.`;
}

function seconds(ms: number): string {
  return `${Math.round(ms / 1000)}s`;
}
