import type { Command } from 'commander';
import { withService } from '../../app/service.js';
import { loadConfig } from '../../config/config.js';
import { codectxHome } from '../../config/paths.js';
import { UsageError } from '../../errors.js';
import { goneFolderWithIndex } from '../../index/codebase.js';
import { DEFAULT_CACHE_BYTES, embeddingCacheDir } from '../../index/embeddingCache.js';
import { folderBytes } from '../../index/folderBytes.js';
import type { IndexMeta } from '../../index/meta.js';
import { addStoreOptions, nonEmptyPath, skippedByReason, type StoreFlags } from '../shared.js';
import { ago, binaryBytes, count, printable, shellArg } from '../../text.js';

export function registerStatusCommand(program: Command): void {
  addStoreOptions(
    program
      .command('status')
      .description('show what is indexed: files, chunks, last update, model, store, stale files, errors')
      .argument('[path]', 'codebase root', nonEmptyPath('the path'), '.')
      .option('--json', 'print as JSON'),
  ).action(async (path: string, flags: StoreFlags & { json?: boolean }) => {
    const { codebase, found } = await withService(flags, async (service) => {
      // From a subfolder too, as search: the nearest index above, local or shared.
      const codebase = await service.locate(path).catch(async (error: unknown) => {
        const gone = await goneFolderWithIndex(path);
        if (gone) throw new UsageError(`no such directory: ${path} (its index is still here; \`codectx clear ${shellArg(gone.root)}\` drops it)`);
        throw error;
      });
      return { codebase, found: await service.status(codebase) };
    });
    if (!found) {
      if (flags.json) process.stdout.write(`${JSON.stringify({ root: codebase.root, indexed: false })}\n`);
      else process.stdout.write(`${printable(codebase.root)} is not indexed; run \`codectx index ${shellArg(path)}\`\n`);
      return;
    }
    const { meta, plan, settingsChange, rebuildsItself, embeddingUnavailable, running } = found;
    // What the next index run would embed, by content: a file only touched (a checkout, a save without edits) is not stale.
    const stale = [...plan.changed.map((changed) => changed.file.path), ...plan.failed.map((failed) => failed.file)];
    const removed = plan.deleted;
    // Indexed files the next run takes out because they are skipped now: not "deleted" (a file grown too large was).
    const dropped = plan.dropped;
    const cacheDir = embeddingCacheDir(codectxHome(), meta.embeddingId, meta.dimension, loadConfig(codebase.root, flags).embedding.baseURL);
    const status = {
      root: codebase.root,
      indexed: true,
      complete: meta.complete,
      ...(running && { running }),
      ...(meta.fromScratch && { fromScratch: true }),
      ...(meta.buildingElsewhere && { buildingElsewhere: true }),
      files: meta.files,
      chunks: meta.chunks,
      updatedAt: meta.updatedAt,
      store: meta.store,
      collection: meta.collection,
      embedding: meta.embeddingId,
      dimension: meta.dimension,
      chunker: meta.chunkerVersion,
      chunkTokens: meta.chunkTokens,
      indexDir: codebase.indexDir,
      embeddingCache: { dir: cacheDir, bytes: await folderBytes(cacheDir), maxBytes: DEFAULT_CACHE_BYTES },
      staleFiles: stale,
      removedFiles: removed,
      droppedFiles: dropped,
      skipped: meta.skipped,
      lastErrors: meta.lastErrors,
      ...(settingsChange && { settingsChange }),
      ...(embeddingUnavailable && { embeddingUnavailable }),
    };
    if (flags.json) {
      process.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
      return;
    }
    const lines = [
      `codebase:  ${printable(status.root)}`,
      `index:     ${count(status.files, 'file')}, ${count(status.chunks, 'chunk')}, updated ${ago(status.updatedAt)}${unfinished(meta, running)}`,
      `store:     ${status.store} (${status.collection})`,
      `embedding: ${status.embedding}, ${status.dimension} dimensions; chunker ${status.chunker}${status.chunkTokens ? `, ${status.chunkTokens} tokens per chunk` : ''}`,
      `cache:     ${cacheDir}, ${binaryBytes(status.embeddingCache.bytes)} of ${binaryBytes(DEFAULT_CACHE_BYTES)} (shared by codebases embedded with this model)`,
      `stale:     ${stale.length} changed or new, ${removed.length} deleted${dropped.length > 0 ? `, ${dropped.length} now skipped` : ''} since the last index` +
        (stale.length + removed.length + dropped.length > 0 ? ' (run `codectx index` to refresh)' : ''),
    ];
    for (const file of [...stale, ...removed, ...dropped].slice(0, 10)) lines.push(`           ${printable(file)}`);
    const skipped = Object.entries(status.skipped);
    if (skipped.length > 0) lines.push(`skipped:   ${skippedByReason(skipped)} (\`codectx index --dry-run\` names them)`);
    for (const error of status.lastErrors.slice(0, 5)) lines.push(`error:     ${printable(error.file)}: ${error.message}`);
    if (settingsChange) {
      const rebuild = rebuildsItself ? '`codectx index` (or the daemon) rebuilds it, its vectors from the cache' : '`codectx index --force` rebuilds it, or undo the change';
      lines.push(`settings:  changed since this index was built (${settingsChange}); search refuses it until ${rebuild}`);
    }
    if (embeddingUnavailable) lines.push(`warning:   the index's embedding cannot be used here (${embeddingUnavailable}); search and index fail until it can`);
    process.stdout.write(`${lines.join('\n')}\n`);
  });
}

/**
 * Why the index is not complete, as a suffix of the index line; a build from nothing is one search refuses. A run
 * under way here (its lock held) was reported as interrupted while the daemon or another shell was indexing.
 */
function unfinished(meta: IndexMeta, running: boolean | undefined): string {
  if (meta.complete) return '';
  if (meta.buildingElsewhere) return ' (a build from nothing on another machine, not finished; search refuses it until it is)';
  if (running) return meta.fromScratch ? ' (a build from nothing, being indexed now)' : ' (being indexed now)';
  if (meta.fromScratch) return ' (a build from nothing, not finished; if its run stopped, search refuses it until `codectx index` finishes it)';
  return ' (last run interrupted; the next index run repairs it)';
}
