import type { Chunker } from '../chunk/chunker.js';
import type { Chunk } from '../chunk/types.js';
import { describeError } from '../errors.js';
import { readSourceFile } from '../files/read.js';
import type { SkippedFile, SourceFile } from '../files/walk.js';
import { sha256 } from './chunkRecords.js';
import type { Manifest } from './manifest.js';

/**
 * Chunk text `index` keeps from the counting pass for the embedding pass. A change set bigger than this (a first
 * index of a large repository: TypeScript's lib/*.js is 139 MB and 252k chunks) is cut again file by file while
 * it embeds, which costs little: chunking runs at ~3,500 chunks/s, embedding locally at tens to hundreds.
 */
export const KEPT_CHUNK_CHARS = 32 * 1024 * 1024;

/** One file as read now: what the index must do with it. */
export type FileCut =
  | { kind: 'skipped'; skipped: SkippedFile }
  /** Touched but not changed (checkout, save without edits): same hash as recorded. */
  | { kind: 'unchanged' }
  | { kind: 'failed'; message: string }
  | { kind: 'changed'; hash: string; chunks: Chunk[] };

/** Reads a file, compares it with its manifest entry, and cuts it into chunks when it changed. */
export async function cutFile(root: string, file: SourceFile, manifest: Manifest, chunker: Chunker): Promise<FileCut> {
  const read = await readSourceFile(file.absPath, root);
  if (!read.ok) return { kind: 'skipped', skipped: { path: file.path, reason: read.reason, detail: read.detail } };
  const hash = sha256(read.bytes);
  if (manifest.files.get(file.path)?.hash === hash) return { kind: 'unchanged' };
  try {
    return { kind: 'changed', hash, chunks: await chunker.chunk(file.path, read.text) };
  } catch (error) {
    return { kind: 'failed', message: describeError(error) };
  }
}

export interface ChangedFile {
  file: SourceFile;
  hash: string;
  chunkCount: number;
  language?: string;
  /** The chunks cut while counting, when they fit in memory; otherwise the file is cut again when embedded. */
  chunks?: Chunk[];
}

/** Every file to read, sorted by what it needs; known before anything is embedded, so progress has real totals. */
export interface ChangeSet {
  changed: ChangedFile[];
  chunks: number;
  skipped: { file: SourceFile; skipped: SkippedFile }[];
  unchanged: SourceFile[];
  failed: { file: string; message: string }[];
}

export interface CountOptions {
  signal?: AbortSignal;
  /** After each file read. */
  onFile?: (read: number) => void;
  /** Sees each changed file's chunks once (the dry run counts their tokens). */
  onChunks?: (chunks: Chunk[]) => void;
  /** Chunk text to keep for embedding (the dry run keeps none). */
  keepChars?: number;
}

export async function countChanges(
  root: string,
  files: readonly SourceFile[],
  manifest: Manifest,
  chunker: Chunker,
  options: CountOptions = {},
): Promise<ChangeSet> {
  const set: ChangeSet = { changed: [], chunks: 0, skipped: [], unchanged: [], failed: [] };
  let keptChars = 0;
  for (const [index, file] of files.entries()) {
    options.signal?.throwIfAborted();
    const cut = await cutFile(root, file, manifest, chunker);
    if (cut.kind === 'skipped') set.skipped.push({ file, skipped: cut.skipped });
    else if (cut.kind === 'unchanged') set.unchanged.push(file);
    else if (cut.kind === 'failed') set.failed.push({ file: file.path, message: cut.message });
    else {
      options.onChunks?.(cut.chunks);
      const chars = cut.chunks.reduce((sum, chunk) => sum + chunk.content.length, 0);
      const keep = keptChars + chars <= (options.keepChars ?? 0);
      if (keep) keptChars += chars;
      set.changed.push({
        file,
        hash: cut.hash,
        chunkCount: cut.chunks.length,
        language: cut.chunks[0]?.language,
        chunks: keep ? cut.chunks : undefined,
      });
      set.chunks += cut.chunks.length;
    }
    options.onFile?.(index + 1);
  }
  return set;
}
