import type { Command } from 'commander';
import type { IndexReport } from '../../index/indexer.js';
import type { DryRun } from '../../index/dryRun.js';
import { DaemonLeftRunning, withService } from '../../app/service.js';
import { CodectxError } from '../../errors.js';
import type { IndexProgress } from '../../index/indexer.js';
import { interruptOnSignals } from '../interrupt.js';
import { progressReporter, formatSeconds } from '../progress.js';
import { addStoreOptions, enclosingNote, nonEmptyPath, skippedByReason, type StoreFlags } from '../shared.js';
import { count, printable } from '../../text.js';

interface IndexFlags extends StoreFlags {
  force?: boolean;
  dryRun?: boolean;
  quiet?: boolean;
  json?: boolean;
  watch?: boolean;
}

export function registerIndexCommand(program: Command): void {
  addStoreOptions(
    program
      .command('index')
      .description('index a codebase (incremental: only new or changed files are embedded)')
      .argument('[path]', 'codebase root (default: the indexed codebase the current folder is in, else the current folder)', nonEmptyPath('the path'))
      .option('--force', 'drop the index and rebuild it from scratch')
      .option('--dry-run', 'show what would be indexed (files, skipped files, chunks, tokens, cost) and stop')
      .option('--json', 'print the report as JSON')
      .option('-q, --quiet', 'no progress output')
      .option('--watch', 'also register the codebase with the daemon, which keeps it indexed as files change'),
  ).action(async (path: string | undefined, flags: IndexFlags) => {
    const { codebase, enclosing } = await withService(flags, (service) => service.indexTarget(path));
    if (enclosing) process.stderr.write(`codectx: ${enclosingNote(codebase, enclosing, 'index')}\n`);
    if (flags.dryRun) {
      const plan = await withService(flags, (service) => service.dryRun(codebase, flags.force));
      process.stdout.write(flags.json ? `${JSON.stringify(plan, null, 2)}\n` : formatPlan(plan));
      return;
    }
    const root = codebase.root;
    const progress = progressReporter(Boolean(flags.quiet || flags.json));
    const interrupt = interruptOnSignals(progress.finish);
    const options = { force: flags.force, onProgress: progress.update, signal: interrupt.signal };
    let report: IndexReport;
    let viaDaemon: IndexReport | undefined;
    try {
      const outcome = await withService(flags, (service) => service.index(codebase, options));
      report = outcome.report;
      viaDaemon = outcome.viaDaemon ? report : undefined;
    } catch (error) {
      if (interrupt.signal.aborted) {
        throw new InterruptedError(interruptedLine(progress.last(), error instanceof DaemonLeftRunning), interrupt.exitCode());
      }
      throw error;
    } finally {
      interrupt.dispose();
      progress.finish();
    }
    process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report, root));
    // The daemon registered the codebase when the run went through it. Otherwise only --watch does: a scratch
    // folder indexed once must not be watched (and re-indexed) for good by a daemon started later. A daemon
    // running with other settings refuses it (exit 2, after the report of the run done here).
    if (flags.watch && !viaDaemon) {
      const { added, daemonRuns } = await withService(flags, (service) => service.watch(codebase));
      if (!flags.json) process.stdout.write(`${watchNote(root, added, daemonRuns)}\n`);
    }
  });
}

function watchNote(root: string, added: boolean, daemonRuns: boolean): string {
  const kept = daemonRuns ? 'the daemon watches it' : 'kept indexed while the daemon runs: `codectx daemon start`';
  return `${added ? 'registered' : 'already registered:'} ${printable(root)} (${kept}; \`codectx list\` shows what is watched)`;
}

/** A run stopped by a signal, with the exit status shells report for it (128 + its number). */
class InterruptedError extends CodectxError {}

function interruptedLine(last: IndexProgress | undefined, daemonRuns: boolean): string {
  if (daemonRuns) return 'interrupted: the codectx daemon goes on indexing in the background; `codectx status` shows how far it is';
  if (!last) return 'interrupted before indexing began; run `codectx index` again';
  // Files reach the index a group at a time; what was embedded since is in the cache, so a rerun does not redo it.
  const cached = last.embedded > 0 ? ` and the ${count(last.embedded, 'chunk')} embedded in this run ${last.embedded === 1 ? 'is' : 'are'} cached` : '';
  return `interrupted: the index holds ${count(last.indexFiles, 'file')} (${count(last.indexChunks, 'chunk')})${cached}; run \`codectx index\` again to resume`;
}

/**
 * The summary counts files as `status` does: the index's files (new or changed, unchanged), the ones taken out
 * (deleted, or skipped now), and every skip by reason. It counted the walk's files instead, skipped ones among them
 * ("8 files … 1 not indexed" where status said 7).
 */
function formatReport(report: IndexReport, root: string): string {
  const skipped = skippedLine(report);
  const removed = report.filesDeleted + report.filesDropped;
  // "up to date: 0 files" read as if an index of something was current.
  if (report.totalFiles === 0 && removed === 0 && report.errors.length === 0) {
    return `no files to index in ${printable(root)}${skipped ? ` (${skipped})` : ''}\n`;
  }
  const lines: string[] = report.rebuiltFor ? [`rebuilt from nothing for a new setup (${report.rebuiltFor})`] : [];
  // "indexed 175 files: 0 new or changed" read as if work was done when nothing was.
  if (report.filesChanged === 0 && removed === 0 && report.errors.length === 0) {
    lines.push(`up to date: ${count(report.totalFiles, 'file')}, ${count(report.totalChunks, 'chunk')} (nothing changed)`);
  } else {
    lines.push(
      `indexed ${count(report.totalFiles, 'file')} in ${formatSeconds(report.seconds)}: ` +
        `${report.filesChanged} new or changed, ${report.filesDeleted} deleted, ${report.filesUnchanged} unchanged` +
        (report.filesDropped > 0 ? `, ${report.filesDropped} now skipped` : ''),
      `chunks: ${report.chunksWritten} written (${report.embedded} embedded, ${report.cacheHits} from cache), ` +
        `${report.totalChunks} in the index`,
    );
  }
  if (skipped) lines.push(skipped);
  for (const error of report.errors.slice(0, 5)) lines.push(`error: ${printable(error.file)}: ${error.message}`);
  return `${lines.join('\n')}\n`;
}

function skippedLine(report: IndexReport): string | undefined {
  if (report.skipped.length === 0) return undefined;
  const reasons = new Map<string, number>();
  for (const item of report.skipped) reasons.set(item.reason, (reasons.get(item.reason) ?? 0) + 1);
  return `skipped: ${skippedByReason(reasons)}`;
}

/** Skipped files the text dry run names; a tree of generated bundles would bury the rest of the plan. */
const SKIPS_LISTED = 50;

function formatPlan(plan: DryRun): string {
  const lines = [`dry run for ${printable(plan.root)} (nothing embedded or written)`];
  // "of N" counts the files the index will hold, the skips come after it: "9 of 13" once counted the walk's files
  // (content skips such as binary among them, its own such as too large not) next to 8 skipped, and then
  // "9 (4 unchanged, 8 skipped)" read as if the skips were among the 9.
  const skipNote = plan.skipped.length > 0 ? `; ${plan.skipped.length} skipped` : '';
  lines.push(`files to index: ${plan.filesToIndex} of ${plan.filesToIndex + plan.filesUnchanged} source files (${plan.filesUnchanged} unchanged)${skipNote}`);
  for (const [language, count] of Object.entries(plan.filesByLanguage).sort((a, b) => b[1] - a[1])) {
    lines.push(`  ${language.padEnd(12)} ${count}`);
  }
  if (plan.filesToDelete > 0) lines.push(`files to remove from the index: ${plan.filesToDelete}`);
  const skipped = Object.entries(plan.skippedByReason);
  if (skipped.length > 0) lines.push(`skipped: ${skippedByReason(skipped)}`);
  for (const item of plan.skipped.slice(0, SKIPS_LISTED)) lines.push(`  ${printable(item.path)}: ${item.reason}${item.detail ? ` (${printable(item.detail)})` : ''}`);
  if (plan.skipped.length > SKIPS_LISTED) lines.push(`  … and ${plan.skipped.length - SKIPS_LISTED} more (--json lists them all)`);
  lines.push(`estimated chunks: ${plan.estimatedChunks}, tokens: ${plan.estimatedTokens}`);
  lines.push(
    `embedding: ${plan.embedding}; estimated cost: ${plan.estimatedCostUsd === 0 ? '$0 (local model)' : `$${plan.estimatedCostUsd.toFixed(4)}`}`,
  );
  return `${lines.join('\n')}\n`;
}
