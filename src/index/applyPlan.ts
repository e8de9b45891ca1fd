import type { Chunk } from '../chunk/types.js';
import type { SkippedFile, SourceFile } from '../files/walk.js';
import type { StoredChunk } from '../store/types.js';
import { cutFile, type ChangedFile } from './changeSet.js';
import { addRecordedElsewhere, deleteChunks, deleteChunksOf, idsOf } from './chunkDeletion.js';
import { embeddingText, toRecord } from './chunkRecords.js';
import type { IndexPlan } from './indexPlan.js';
import type { IndexOptions, IndexParts, IndexReport, RunProgress } from './indexRun.js';
import { rememberedSkip, type Manifest } from './manifest.js';

/** Chunks written to the store per group: big enough to keep LanceDB's fragments few, small enough to lose little. */
const GROUP_CHUNKS = 512;
/** Texts handed to the embedder per call, so progress moves while a group embeds (more if the embedder asks). */
const EMBED_CALL = 32;

interface PendingFile {
  file: SourceFile;
  hash: string;
  chunks: StoredChunk[];
  existed: boolean;
}

/**
 * Carries out a plan: deleted files' chunks go first, skips and touched files are recorded, then the changed
 * files are embedded (vectors come from the cache when the same chunk text was embedded before) and written a
 * group at a time. A file's hash is recorded in the manifest only after its chunks are in the store (a shared
 * manifest marks the group pending first), so a crash at any point leaves files either done or still to do.
 * `held` records what the index holds, after each step that changed it.
 */
export async function applyPlan(
  parts: IndexParts,
  manifest: Manifest,
  plan: IndexPlan,
  progress: RunProgress,
  held: () => Promise<void>,
  options: IndexOptions,
): Promise<IndexReport> {
  const { store } = parts;
  const report: IndexReport = {
    filesScanned: plan.walk.files.length,
    filesChanged: 0,
    filesDeleted: 0,
    filesDropped: 0,
    filesUnchanged: plan.unchanged.length,
    chunksWritten: 0,
    embedded: 0,
    cacheHits: 0,
    totalFiles: 0,
    totalChunks: 0,
    skipped: [...plan.skipped],
    errors: [...plan.failed],
    seconds: 0,
  };

  // Deleted files, and files skipped now, before anything is embedded: their chunks must not outlive them even if
  // the run stops later. A skip the walk decides (too large) leaves no entry; one for the content is recorded below.
  const removed = [...new Set([...plan.deleted, ...plan.dropped, ...plan.skippedByWalk])];
  if (removed.length > 0) {
    await deleteChunksOf(store, manifest, removed);
    for (const path of removed) manifest.files.delete(path);
    await manifest.save();
    report.filesDeleted = plan.deleted.length;
    report.filesDropped = plan.dropped.length;
  }
  for (const { file, skipped } of plan.contentSkips) await recordSkip(parts, manifest, report, file, skipped);
  for (const file of plan.touched) recordTouched(manifest, report, file);
  await held();
  progress.now.filesTotal = plan.changed.length;
  progress.now.chunksTotal = plan.chunks;
  progress.startEmbedding();

  let group: PendingFile[] = [];
  let groupChunks = 0;
  for (const changed of plan.changed) {
    options.signal?.throwIfAborted();
    const pending = await pendingFile(parts, manifest, report, changed, progress);
    if (!pending) continue;
    report.filesChanged++;
    group.push(pending);
    groupChunks += pending.chunks.length;
    if (groupChunks < GROUP_CHUNKS) continue;
    await writeGroup(parts, manifest, group, report, progress, held, options);
    group = [];
    groupChunks = 0;
  }
  if (group.length > 0) await writeGroup(parts, manifest, group, report, progress, held, options);
  await manifest.save();
  return report;
}

/**
 * Embeds a group and stores it: marked pending first (a shared manifest writes ahead), the files' old chunks
 * replaced, and only then their hashes recorded as done.
 */
async function writeGroup(
  parts: IndexParts,
  manifest: Manifest,
  group: PendingFile[],
  report: IndexReport,
  progress: RunProgress,
  held: () => Promise<void>,
  options: IndexOptions,
): Promise<void> {
  const chunks = await embedGroup(parts, group, report, progress, options);
  const paths = group.map((pending) => pending.file.path);
  const oldIds = idsOf(manifest, group.filter((pending) => pending.existed).map((pending) => pending.file.path));
  // Another writer's chunks of these files, stored since this run read the state, are replaced too (and undone
  // with ours if this run stops: the pending entry names them).
  const elsewhere = await addRecordedElsewhere(manifest, oldIds, paths);
  await manifest.markPending(
    group.map((pending) => ({
      path: pending.file.path,
      hash: pending.hash,
      size: pending.file.size,
      ids: [...pending.chunks.map((chunk) => chunk.id), ...(elsewhere.get(pending.file.path) ?? [])],
    })),
  );
  await deleteChunks(parts.store, oldIds, [...oldIds.keys()]);
  if (chunks.length > 0) await parts.store.upsert(chunks);
  report.chunksWritten += chunks.length;
  // A writer that recorded these files while this one stored them finished first: this run's record replaces
  // theirs, so their chunks go (theirs alone: the same chunk stored by both stays).
  const overtaken = [...(await manifest.recordedElsewhere(paths)).values()].flat();
  const mine = new Set(chunks.map((chunk) => chunk.id));
  if (overtaken.some((id) => !mine.has(id))) await parts.store.deleteChunks(overtaken.filter((id) => !mine.has(id)));
  for (const pending of group) {
    manifest.files.set(pending.file.path, {
      hash: pending.hash,
      size: pending.file.size,
      mtimeMs: pending.file.mtimeMs,
      chunks: pending.chunks.length,
      ...(manifest.tracksChunkIds ? { ids: pending.chunks.map((chunk) => chunk.id) } : {}),
    });
  }
  await manifest.save();
  await held();
  progress.emit('embed');
}

/**
 * A counted file ready to embed: its chunks from the counting pass, or cut again when they were not kept. A file
 * edited since it was counted is taken as it is now, and the totals follow.
 */
async function pendingFile(
  parts: IndexParts,
  manifest: Manifest,
  report: IndexReport,
  changed: ChangedFile,
  progress: RunProgress,
): Promise<PendingFile | undefined> {
  const existed = manifest.files.has(changed.file.path);
  const toPending = (hash: string, chunks: Chunk[]): PendingFile => ({
    file: changed.file,
    hash,
    existed,
    chunks: chunks.map((chunk) => ({ ...toRecord(chunk, hash), vector: new Float32Array(0) })),
  });
  if (changed.chunks) return toPending(changed.hash, changed.chunks);
  const cut = await cutFile(parts.codebase.root, changed.file, manifest, parts.chunker);
  if (cut.kind === 'changed') {
    progress.now.chunksTotal += cut.chunks.length - changed.chunkCount;
    return toPending(cut.hash, cut.chunks);
  }
  progress.now.filesTotal--;
  progress.now.chunksTotal -= changed.chunkCount;
  if (cut.kind === 'skipped') {
    report.skipped.push(cut.skipped);
    await recordSkip(parts, manifest, report, changed.file, cut.skipped);
  } else if (cut.kind === 'unchanged') recordTouched(manifest, report, changed.file);
  else report.errors.push({ file: changed.file.path, message: cut.message });
  return undefined;
}

/**
 * A file skipped for its content is out of the index: one still in it (it turned binary after it was counted)
 * loses its chunks and counts as dropped. The skip is remembered when its content decided it.
 */
async function recordSkip(parts: IndexParts, manifest: Manifest, report: IndexReport, file: SourceFile, skipped: SkippedFile): Promise<void> {
  const entry = manifest.files.get(file.path);
  if (entry && !entry.skipped) {
    if (entry.chunks > 0) await deleteChunksOf(parts.store, manifest, [file.path]);
    report.filesDropped++;
  }
  if (rememberedSkip(skipped.reason)) {
    manifest.files.set(file.path, { hash: '', size: file.size, mtimeMs: file.mtimeMs, chunks: 0, skipped: skipped.reason });
  } else {
    manifest.files.delete(file.path);
  }
}

/** Touched but not changed (checkout, save without edits): remember the new mtime, embed nothing. */
function recordTouched(manifest: Manifest, report: IndexReport, file: SourceFile): void {
  const entry = manifest.files.get(file.path)!;
  manifest.files.set(file.path, { ...entry, size: file.size, mtimeMs: file.mtimeMs });
  report.filesUnchanged++;
}

/**
 * Gives every chunk of a group its vector, in file order, so files finish one after another and progress counts
 * them as they do; vectors come from the cache when the same text was embedded before.
 */
async function embedGroup(
  parts: IndexParts,
  group: PendingFile[],
  report: IndexReport,
  progress: RunProgress,
  options: IndexOptions,
): Promise<StoredChunk[]> {
  const chunks = group.flatMap((pending) => pending.chunks);
  const fileEnds: number[] = [];
  for (const pending of group) fileEnds.push((fileEnds.at(-1) ?? 0) + pending.chunks.length);
  const filesBefore = progress.now.filesDone;
  const chunksBefore = progress.now.chunksDone;
  /** Chunks waiting for the batch being gathered, by text: identical texts are embedded once. */
  let waiting = new Map<string, StoredChunk[]>();
  const advance = (upTo: number) => {
    progress.now.chunksDone = chunksBefore + upTo;
    progress.now.filesDone = filesBefore + fileEnds.filter((end) => end <= upTo).length;
    progress.emit('embed');
  };
  const embedWaiting = async (upTo: number) => {
    if (waiting.size > 0) {
      await options.yieldTurn?.();
      options.signal?.throwIfAborted();
      const batch = [...waiting.values()];
      const vectors = await parts.embedder.embed(batch.map((same) => embeddingText(same[0]!)));
      const fresh = batch.map((same, j) => ({ contentHash: same[0]!.contentHash, vector: vectors[j]! }));
      batch.forEach((same, j) => same.forEach((chunk) => (chunk.vector = vectors[j]!)));
      await parts.cache.putMany(fresh);
      report.embedded += batch.length;
      progress.now.embedded += batch.length;
      waiting = new Map();
    }
    advance(upTo);
  };
  const callSize = Math.max(EMBED_CALL, parts.embedder.textsPerCall ?? 0);
  const cachedVectors = await parts.cache.getMany(chunks.map((chunk) => chunk.contentHash));
  for (const [index, chunk] of chunks.entries()) {
    const same = waiting.get(chunk.contentHash);
    const cached = same ? undefined : cachedVectors[index];
    if (same) same.push(chunk);
    else if (cached) chunk.vector = cached;
    else waiting.set(chunk.contentHash, [chunk]);
    if (same || cached) report.cacheHits++;
    if (waiting.size >= callSize) await embedWaiting(index + 1);
  }
  await embedWaiting(chunks.length);
  return chunks;
}
