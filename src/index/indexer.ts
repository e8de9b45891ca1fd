import type { Chunker } from '../chunk/chunker.js';
import type { EmbeddingProvider } from '../embed/types.js';
import { describeError } from '../errors.js';
import { readSourceFile } from '../files/read.js';
import type { SkippedFile, SourceFile } from '../files/walk.js';
import type { ChunkStore, StoredChunk } from '../store/types.js';
import type { Codebase } from './codebase.js';
import type { EmbeddingCache } from './embeddingCache.js';
import { embeddingText, sha256, toRecord } from './chunkRecords.js';
import type { IndexState } from './indexState.js';
import { rememberedSkip, type Manifest } from './manifest.js';
import type { IndexIdentity, IndexMeta } from './meta.js';
import { diffTree } from './treeDiff.js';

/** Chunks written to the store per group: big enough to keep LanceDB's fragments few, small enough to lose little. */
const GROUP_CHUNKS = 512;
/** Texts handed to the embedder per call, so progress moves while a group embeds. */
const EMBED_CALL = 32;

export interface IndexProgress {
  phase: 'scan' | 'embed' | 'done';
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
}

export interface IndexOptions {
  onProgress?: (progress: IndexProgress) => void;
  signal?: AbortSignal;
  /** Called between embedding calls: a scheduler may run more urgent work there before this run goes on. */
  yieldTurn?: () => Promise<void>;
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

  const diff = await diffTree(codebase.root, manifest, { maxFileBytes: parts.maxFileBytes, ignore: parts.ignore });
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
    await store.deleteFiles(diff.deleted);
    for (const path of diff.deleted) manifest.files.delete(path);
    await manifest.save();
    report.filesDeleted = diff.deleted.length;
  }
  const changed = diff.toRead;

  const progress: IndexProgress = {
    phase: 'scan',
    filesTotal: changed.length,
    filesDone: 0,
    chunksTotal: 0,
    chunksDone: 0,
    embedded: 0,
    embeddingsPerSecond: 0,
    indexFiles: manifest.indexedFileCount,
    indexChunks: manifest.chunkCount,
  };
  const embedStarted = performance.now();
  const emit = (phase: IndexProgress['phase']) => {
    progress.phase = phase;
    const seconds = (performance.now() - embedStarted) / 1000;
    progress.embeddingsPerSecond = seconds > 0 ? progress.embedded / seconds : 0;
    options.onProgress?.({ ...progress });
  };

  let group: PendingFile[] = [];
  let groupChunks = 0;
  const flush = async () => {
    if (group.length === 0) return;
    const chunks = await embedGroup(parts, group, report, progress, emit, options);
    await manifest.markPending(group.map((pending) => ({ path: pending.file.path, hash: pending.hash, size: pending.file.size })));
    const replaced = group.filter((pending) => pending.existed).map((pending) => pending.file.path);
    if (replaced.length > 0) await store.deleteFiles(replaced);
    if (chunks.length > 0) await store.upsert(chunks);
    report.chunksWritten += chunks.length;
    for (const pending of group) {
      manifest.files.set(pending.file.path, {
        hash: pending.hash,
        size: pending.file.size,
        mtimeMs: pending.file.mtimeMs,
        chunks: pending.chunks.length,
      });
    }
    await manifest.save();
    progress.filesDone += group.length;
    progress.indexFiles = manifest.indexedFileCount;
    progress.indexChunks = manifest.chunkCount;
    emit('embed');
    group = [];
    groupChunks = 0;
  };

  for (const file of changed) {
    options.signal?.throwIfAborted();
    const read = await readSourceFile(file.absPath, codebase.root);
    if (!read.ok) {
      report.skipped.push({ path: file.path, reason: read.reason, detail: read.detail });
      if (manifest.files.get(file.path)?.chunks) await store.deleteFiles([file.path]);
      if (rememberedSkip(read.reason)) {
        manifest.files.set(file.path, { hash: '', size: file.size, mtimeMs: file.mtimeMs, chunks: 0, skipped: read.reason });
      } else {
        manifest.files.delete(file.path);
      }
      progress.filesTotal--;
      continue;
    }
    const hash = sha256(read.bytes);
    const entry = manifest.files.get(file.path);
    if (entry && entry.hash === hash) {
      // Touched but not changed (checkout, save without edits): remember the new mtime, embed nothing.
      manifest.files.set(file.path, { ...entry, size: file.size, mtimeMs: file.mtimeMs });
      report.filesUnchanged++;
      progress.filesTotal--;
      continue;
    }
    let chunks: StoredChunk[];
    try {
      chunks = (await parts.chunker.chunk(file.path, read.text)).map((chunk) => ({ ...toRecord(chunk, hash), vector: new Float32Array(0) }));
    } catch (error) {
      report.errors.push({ file: file.path, message: describeError(error) });
      progress.filesTotal--;
      continue;
    }
    report.filesChanged++;
    progress.chunksTotal += chunks.length;
    group.push({ file, hash, chunks, existed: entry !== undefined });
    groupChunks += chunks.length;
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
    skipped: countReasons(report.skipped),
    lastErrors: report.errors.slice(0, 20),
  });
  await state.writeMeta(meta);
  emit('done');
  return report;
}

/** Gives every chunk of the group its vector, from the cache or the embedder. */
async function embedGroup(
  parts: IndexParts,
  group: PendingFile[],
  report: IndexReport,
  progress: IndexProgress,
  emit: (phase: IndexProgress['phase']) => void,
  options: IndexOptions,
): Promise<StoredChunk[]> {
  const chunks = group.flatMap((pending) => pending.chunks);
  const missing: StoredChunk[] = [];
  for (const chunk of chunks) {
    const cached = await parts.cache.get(chunk.contentHash);
    if (cached) {
      chunk.vector = cached;
      report.cacheHits++;
    } else {
      missing.push(chunk);
    }
  }
  // Identical chunk texts in one group are embedded once.
  const byHash = new Map<string, StoredChunk[]>();
  for (const chunk of missing) byHash.set(chunk.contentHash, [...(byHash.get(chunk.contentHash) ?? []), chunk]);
  const unique = [...byHash.values()].map((same) => same[0]!);
  report.cacheHits += missing.length - unique.length;
  for (let i = 0; i < unique.length; i += EMBED_CALL) {
    await options.yieldTurn?.();
    options.signal?.throwIfAborted();
    const batch = unique.slice(i, i + EMBED_CALL);
    const vectors = await parts.embedder.embed(batch.map(embeddingText));
    const fresh = batch.map((chunk, j) => ({ contentHash: chunk.contentHash, vector: vectors[j]! }));
    for (const item of fresh) for (const chunk of byHash.get(item.contentHash)!) chunk.vector = item.vector;
    await parts.cache.putMany(fresh);
    report.embedded += batch.length;
    progress.embedded += batch.length;
    progress.chunksDone += batch.reduce((sum, chunk) => sum + byHash.get(chunk.contentHash)!.length, 0);
    emit('embed');
  }
  progress.chunksDone += chunks.length - missing.length;
  return chunks;
}

/** After an interrupted run: drop chunks the manifest does not vouch for (written, but never recorded as done). */
async function reconcileWithStore(store: ChunkStore, manifest: Manifest): Promise<void> {
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
