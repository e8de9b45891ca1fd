import type { Chunker } from '../chunk/chunker.js';
import { IndexStateError } from '../errors.js';
import type { EmbeddingProvider } from '../embed/types.js';
import type { Chunk } from '../chunk/types.js';
import type { SkippedFile, SourceFile } from '../files/walk.js';
import type { ChunkStore, StoredChunk } from '../store/types.js';
import type { Codebase } from './codebase.js';
import type { EmbeddingCache } from './embeddingCache.js';
import { countChanges, cutFile, KEPT_CHUNK_CHARS, type ChangedFile } from './changeSet.js';
import { embeddingText, toRecord } from './chunkRecords.js';
import type { IndexState } from './indexState.js';
import { rememberedSkip, type FileEntry, type Manifest } from './manifest.js';
import type { IndexIdentity, IndexMeta } from './meta.js';
import { diffPaths, diffTree } from './treeDiff.js';

/** Chunks written to the store per group: big enough to keep LanceDB's fragments few, small enough to lose little. */
const GROUP_CHUNKS = 512;
/** Texts handed to the embedder per call, so progress moves while a group embeds (more if the embedder asks). */
const EMBED_CALL = 32;

export interface IndexProgress {
  /** count: reading and cutting the changed files, to know the totals; embed: embedding against those totals. */
  phase: 'count' | 'embed' | 'done';
  /** Files the counting pass reads (new, or size or mtime moved), and how many it has read. */
  filesToCount: number;
  filesCounted: number;
  /** Changed files and their chunks, known once counting is done; files are done when all their chunks are embedded. */
  filesTotal: number;
  filesDone: number;
  chunksTotal: number;
  chunksDone: number;
  embedded: number;
  embeddingsPerSecond: number;
  /** What the index holds right now (files whose chunks are stored, and those chunks): grows group by group. */
  indexFiles: number;
  indexChunks: number;
}

export interface IndexReport {
  filesScanned: number;
  filesChanged: number;
  filesDeleted: number;
  filesUnchanged: number;
  chunksWritten: number;
  embedded: number;
  cacheHits: number;
  totalFiles: number;
  totalChunks: number;
  skipped: SkippedFile[];
  errors: { file: string; message: string }[];
  seconds: number;
}

export interface IndexParts {
  codebase: Codebase;
  identity: IndexIdentity;
  chunker: Chunker;
  embedder: EmbeddingProvider;
  store: ChunkStore;
  /** Where the manifest and metadata live (local files, or a shared index's state table). */
  state: IndexState;
  cache: EmbeddingCache;
  maxFileBytes: number;
  ignore: readonly string[];
  /** Chunk text kept from the counting pass for embedding; the rest is cut again (default KEPT_CHUNK_CHARS). */
  keepChunkChars?: number;
}

export interface IndexOptions {
  onProgress?: (progress: IndexProgress) => void;
  signal?: AbortSignal;
  /** Called between embedding calls: a scheduler may run more urgent work there before this run goes on. */
  yieldTurn?: () => Promise<void>;
  /**
   * Only these paths (relative; files or folders) changed: they are diffed instead of the whole tree. Ignored
   * after an interrupted run, which needs the whole tree reconciled.
   */
  paths?: readonly string[];
}

interface PendingFile {
  file: SourceFile;
  hash: string;
  chunks: StoredChunk[];
  existed: boolean;
}

/**
 * Brings a codebase's index up to date with its working tree: new and changed files are chunked and embedded
 * (vectors come from the cache when the same chunk text was embedded before), deleted files' chunks are
 * removed. A file's hash is recorded in the manifest only after its chunks are in the store, so a crash at any
 * point leaves files either done or still to do.
 */
export async function indexCodebase(parts: IndexParts, options: IndexOptions = {}): Promise<IndexReport> {
  const started = performance.now();
  const { codebase, store, state } = parts;
  const previousMeta = await state.readMeta();
  const manifest = await state.loadManifest();
  const meta: IndexMeta = {
    ...parts.identity,
    format: 1,
    root: codebase.root,
    createdAt: previousMeta?.createdAt ?? new Date().toISOString(),
    updatedAt: new Date().toISOString(),
    complete: false,
    files: 0,
    chunks: 0,
    skipped: {},
    lastErrors: [],
  };
  // A manifest that writes ahead lists every file whose chunks may be in the store: nothing to reconcile.
  if (previousMeta && !previousMeta.complete && !manifest.writesAhead) await reconcileWithStore(store, manifest);
  await state.writeMeta(meta);

  const walkOptions = { maxFileBytes: parts.maxFileBytes, ignore: parts.ignore };
  const onlyPaths = options.paths && previousMeta?.complete ? options.paths : undefined;
  const diff = onlyPaths
    ? await diffPaths(codebase.root, manifest, onlyPaths, walkOptions)
    : await diffTree(codebase.root, manifest, walkOptions);
  const report: IndexReport = {
    filesScanned: diff.walk.files.length,
    filesChanged: 0,
    filesDeleted: 0,
    filesUnchanged: diff.unchanged.length,
    chunksWritten: 0,
    embedded: 0,
    cacheHits: 0,
    totalFiles: 0,
    totalChunks: 0,
    skipped: [...diff.walk.skipped, ...diff.stillSkipped],
    errors: [],
    seconds: 0,
  };

  // Deleted files first: their chunks must not outlive them even if the run stops later.
  if (diff.deleted.length > 0) {
    await deleteChunksOf(store, manifest, diff.deleted);
    for (const path of diff.deleted) manifest.files.delete(path);
    await manifest.save();
    report.filesDeleted = diff.deleted.length;
  }

  const progress: IndexProgress = {
    phase: 'count',
    filesToCount: diff.toRead.length,
    filesCounted: 0,
    filesTotal: 0,
    filesDone: 0,
    chunksTotal: 0,
    chunksDone: 0,
    embedded: 0,
    embeddingsPerSecond: 0,
    indexFiles: manifest.indexedFileCount,
    indexChunks: manifest.chunkCount,
  };
  let embedStarted = performance.now();
  const emit = (phase: IndexProgress['phase']) => {
    progress.phase = phase;
    const seconds = (performance.now() - embedStarted) / 1000;
    progress.embeddingsPerSecond = seconds > 0 ? progress.embedded / seconds : 0;
    options.onProgress?.({ ...progress });
  };

  // Count first: every changed file is read and cut before anything is embedded, so the totals are known.
  const set = await countChanges(codebase.root, diff.toRead, manifest, parts.chunker, {
    signal: options.signal,
    keepChars: parts.keepChunkChars ?? KEPT_CHUNK_CHARS,
    onFile: (read) => {
      progress.filesCounted = read;
      emit('count');
    },
  });
  for (const { file, skipped } of set.skipped) await recordSkip(parts, manifest, report, file, skipped);
  for (const file of set.unchanged) recordTouched(manifest, report, file);
  report.errors.push(...set.failed);
  progress.filesTotal = set.changed.length;
  progress.chunksTotal = set.chunks;
  embedStarted = performance.now();
  emit('embed');

  let group: PendingFile[] = [];
  let groupChunks = 0;
  const flush = async () => {
    if (group.length === 0) return;
    const chunks = await embedGroup(parts, group, report, progress, emit, options);
    const replaced = group.filter((pending) => pending.existed).map((pending) => pending.file.path);
    const oldIds = idsOf(manifest, replaced);
    await manifest.markPending(
      group.map((pending) => ({ path: pending.file.path, hash: pending.hash, size: pending.file.size, ids: pending.chunks.map((chunk) => chunk.id) })),
    );
    await deleteChunks(store, oldIds, replaced);
    if (chunks.length > 0) await store.upsert(chunks);
    report.chunksWritten += chunks.length;
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
    progress.indexFiles = manifest.indexedFileCount;
    progress.indexChunks = manifest.chunkCount;
    emit('embed');
    group = [];
    groupChunks = 0;
  };

  for (const changed of set.changed) {
    options.signal?.throwIfAborted();
    const pending = await pendingFile(parts, manifest, report, changed, progress);
    if (!pending) continue;
    report.filesChanged++;
    group.push(pending);
    groupChunks += pending.chunks.length;
    if (groupChunks >= GROUP_CHUNKS) await flush();
  }
  await flush();
  await manifest.save();
  if (report.filesChanged + report.filesDeleted > 0 || previousMeta?.complete === false) await store.flush();

  report.totalFiles = manifest.indexedFileCount;
  report.totalChunks = manifest.chunkCount;
  report.seconds = (performance.now() - started) / 1000;
  Object.assign(meta, {
    updatedAt: new Date().toISOString(),
    complete: true,
    files: report.totalFiles,
    chunks: report.totalChunks,
    // A run over some paths saw only their skips; the last whole walk's count stands until the next one.
    skipped: onlyPaths ? previousMeta!.skipped : countReasons(report.skipped),
    lastErrors: report.errors.slice(0, 20),
  });
  await state.writeMeta(meta);
  emit('done');
  return report;
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
  progress: IndexProgress,
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
    progress.chunksTotal += cut.chunks.length - changed.chunkCount;
    return toPending(cut.hash, cut.chunks);
  }
  progress.filesTotal--;
  progress.chunksTotal -= changed.chunkCount;
  if (cut.kind === 'skipped') await recordSkip(parts, manifest, report, changed.file, cut.skipped);
  else if (cut.kind === 'unchanged') recordTouched(manifest, report, changed.file);
  else report.errors.push({ file: changed.file.path, message: cut.message });
  return undefined;
}

async function recordSkip(parts: IndexParts, manifest: Manifest, report: IndexReport, file: SourceFile, skipped: SkippedFile): Promise<void> {
  report.skipped.push(skipped);
  if (manifest.files.get(file.path)?.chunks) await deleteChunksOf(parts.store, manifest, [file.path]);
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
  progress: IndexProgress,
  emit: (phase: IndexProgress['phase']) => void,
  options: IndexOptions,
): Promise<StoredChunk[]> {
  const chunks = group.flatMap((pending) => pending.chunks);
  const fileEnds: number[] = [];
  for (const pending of group) fileEnds.push((fileEnds.at(-1) ?? 0) + pending.chunks.length);
  const filesBefore = progress.filesDone;
  const chunksBefore = progress.chunksDone;
  /** Chunks waiting for the batch being gathered, by text: identical texts are embedded once. */
  let waiting = new Map<string, StoredChunk[]>();
  const advance = (upTo: number) => {
    progress.chunksDone = chunksBefore + upTo;
    progress.filesDone = filesBefore + fileEnds.filter((end) => end <= upTo).length;
    emit('embed');
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
      progress.embedded += batch.length;
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

/** The chunk ids the manifest records for files, by file (none for a file known to have none); else undefined. */
function idsOf(manifest: Manifest, paths: string[]): Map<string, string[] | undefined> {
  const idsOfEntry = (entry: FileEntry | undefined) => entry?.ids ?? (entry && entry.chunks === 0 && !entry.pending ? [] : undefined);
  return new Map(paths.map((path) => [path, idsOfEntry(manifest.files.get(path))]));
}

/** Deletes files' chunks: by the ids a shared manifest recorded (primary keys, no scan), else by file name. */
async function deleteChunks(store: ChunkStore, known: Map<string, string[] | undefined>, paths: string[]): Promise<void> {
  const ids = paths.flatMap((path) => known.get(path) ?? []);
  const byName = paths.filter((path) => !known.get(path));
  if (ids.length > 0) await store.deleteChunks(ids);
  if (byName.length > 0) await store.deleteFiles(byName);
}

function deleteChunksOf(store: ChunkStore, manifest: Manifest, paths: string[]): Promise<void> {
  return deleteChunks(store, idsOf(manifest, paths), paths);
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

function countReasons(skipped: SkippedFile[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of skipped) counts[item.reason] = (counts[item.reason] ?? 0) + 1;
  return counts;
}
