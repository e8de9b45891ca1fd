import { IndexStateError } from '../errors.js';
import type { ChunkStore } from '../store/types.js';
import { applyPlan } from './applyPlan.js';
import { KEPT_CHUNK_CHARS } from './changeSet.js';
import { countReasons, planIndex, type IndexPlan } from './indexPlan.js';
import { RunProgress, type IndexOptions, type IndexParts, type IndexReport } from './indexRun.js';
import type { Manifest } from './manifest.js';
import type { IndexMeta } from './meta.js';

export type { IndexOptions, IndexParts, IndexProgress, IndexReport } from './indexRun.js';

/** A run under way: the metadata it marked incomplete, what the last run left, and the manifest it updates. */
interface OpenRun {
  meta: IndexMeta;
  previousMeta: IndexMeta | undefined;
  manifest: Manifest;
  /** The store was repaired against the manifest: files anywhere in the tree may need embedding again. */
  repaired: boolean;
  /** Content skips the manifest recorded before the run, by reason. */
  rememberedSkips: Record<string, number>;
}

/**
 * Brings a codebase's index up to date with its working tree: the plan (walk, diff, content hashes, chunks) is
 * computed once and then applied (deletions, embedding, writes), and the run is committed as complete. Between
 * begin and commit the metadata says incomplete, so a run that dies is repaired by the next one.
 */
export async function indexCodebase(parts: IndexParts, options: IndexOptions = {}): Promise<IndexReport> {
  const started = performance.now();
  const run = await beginIndex(parts);
  const progress = new RunProgress(options.onProgress);
  progress.holds(run.manifest);
  const plan = await planIndex(parts.codebase.root, run.manifest, {
    chunker: parts.chunker,
    maxFileBytes: parts.maxFileBytes,
    ignore: parts.ignore,
    paths: run.previousMeta?.complete && !run.repaired ? options.paths : undefined,
    signal: options.signal,
    keepChars: parts.keepChunkChars ?? KEPT_CHUNK_CHARS,
    onFile: (read, toRead) => {
      progress.now.filesToCount = toRead;
      progress.now.filesCounted = read;
      progress.emit('count');
    },
  });
  // The metadata counts what the index holds as groups land, so a run cut short leaves them right (status said 0).
  const held = async () => {
    progress.holds(run.manifest);
    const now = { updatedAt: new Date().toISOString(), files: progress.now.indexFiles, chunks: progress.now.indexChunks };
    await parts.state.writeMeta({ ...run.meta, ...now });
  };
  const report = await applyPlan(parts, run.manifest, plan, progress, held, options);
  await commitIndex(parts, run, plan, report);
  report.seconds = (performance.now() - started) / 1000;
  progress.emit('done');
  return report;
}

/**
 * Marks the index incomplete for the run; first repairs the store against the manifest after an interrupted run,
 * or when the store lost every chunk the manifest counts (its LanceDB folder deleted: searches found nothing).
 */
async function beginIndex(parts: IndexParts): Promise<OpenRun> {
  const { codebase, state } = parts;
  const previousMeta = await state.readMeta();
  const manifest = await state.loadManifest();
  // A manifest that writes ahead lists every file whose chunks may be in the store: nothing to reconcile.
  const interrupted = previousMeta?.complete === false;
  const repaired = !manifest.writesAhead && (interrupted || (manifest.chunkCount > 0 && (await parts.store.count()) === 0));
  if (repaired) await reconcileWithStore(parts.store, manifest);
  const meta: IndexMeta = {
    ...parts.identity,
    format: 1,
    root: codebase.root,
    createdAt: previousMeta?.createdAt ?? new Date().toISOString(),
    updatedAt: new Date().toISOString(),
    complete: false,
    // A run that resumes a build from nothing goes on with it: the index is partial until one completes.
    ...(!previousMeta || previousMeta.fromScratch ? { fromScratch: true as const } : {}),
    files: manifest.indexedFileCount,
    chunks: manifest.chunkCount,
    skipped: {},
    lastErrors: [],
  };
  await state.writeMeta(meta);
  return { meta, previousMeta, manifest, repaired, rememberedSkips: rememberedSkips(manifest) };
}

/** Makes what was written visible (store flush) and records the run as complete, with the index's totals. */
async function commitIndex(parts: IndexParts, run: OpenRun, plan: IndexPlan, report: IndexReport): Promise<void> {
  const { manifest, meta, previousMeta } = run;
  if (report.filesChanged + report.filesDeleted + report.filesDropped > 0 || previousMeta?.complete === false) await parts.store.flush();
  report.totalFiles = manifest.indexedFileCount;
  report.totalChunks = manifest.chunkCount;
  Object.assign(meta, {
    updatedAt: new Date().toISOString(),
    complete: true,
    files: report.totalFiles,
    chunks: report.totalChunks,
    skipped: plan.paths ? skipsAfterPathsRun(previousMeta!.skipped, run.rememberedSkips, rememberedSkips(manifest)) : countReasons(report.skipped),
    lastErrors: report.errors.slice(0, 20),
  });
  delete meta.fromScratch;
  await parts.state.writeMeta(meta);
}

function rememberedSkips(manifest: Manifest): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const entry of manifest.files.values()) if (entry.skipped) counts[entry.skipped] = (counts[entry.skipped] ?? 0) + 1;
  return counts;
}

/**
 * A run over some paths (the daemon's) does not walk the tree, so the walk's skips (too large, links out) stand as
 * the last whole walk counted them; content skips are what the manifest records now (a file saved as minified
 * counts at once; status kept the old count until the next whole walk).
 */
function skipsAfterPathsRun(previous: Record<string, number>, before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const reason of new Set([...Object.keys(previous), ...Object.keys(after)])) {
    const walked = Math.max(0, (previous[reason] ?? 0) - (before[reason] ?? 0));
    const total = walked + (after[reason] ?? 0);
    if (total > 0) counts[reason] = total;
  }
  return counts;
}

/** After an interrupted run: drop chunks the manifest does not vouch for (written, but never recorded as done). */
async function reconcileWithStore(store: ChunkStore, manifest: Manifest): Promise<void> {
  // A manifest that does not write ahead is a local one, and the stores behind local manifests list their files.
  if (!store.listFiles) throw new IndexStateError(`a ${store.kind} index cannot be repaired by listing its chunks`);
  const stored = await store.listFiles();
  const stale = [...stored].filter(([path, hash]) => manifest.files.get(path)?.hash !== hash).map(([path]) => path);
  if (stale.length > 0) await store.deleteFiles(stale);
  // Files the manifest lists but the store lost must be embedded again.
  for (const [path, entry] of [...manifest.files]) if (entry.chunks > 0 && !stored.has(path)) manifest.files.delete(path);
  await manifest.save();
}
