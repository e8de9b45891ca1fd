import { realpath } from 'node:fs/promises';
import type { Chunk } from '../chunk/types.js';
import type { Chunker } from '../chunk/chunker.js';
import { ownHomeIgnores } from '../config/paths.js';
import { IndexStateError } from '../errors.js';
import type { SkippedFile, SourceFile, WalkResult } from '../files/walk.js';
import { countChanges, type ChangedFile } from './changeSet.js';
import type { Manifest } from './manifest.js';
import { diffPaths, diffTree } from './treeDiff.js';
import { shellArg } from '../text.js';

/**
 * The working tree against the manifest, decided by content hash: what an index run will embed, remove, record
 * as skipped or only re-stamp. Computed once, before anything is written; `index` applies it, its dry run and
 * `status` report it.
 */
export interface IndexPlan {
  walk: WalkResult;
  /** Set when only these paths were looked at (a change batch): the skips seen are theirs alone. */
  paths?: readonly string[];
  /** In the manifest, gone from the tree. */
  deleted: string[];
  /**
   * In the manifest, and skipped by the walk now (grown too large, a link out of the root…): their entries go, as
   * a skip the walk decides leaves none. The indexed ones among them are also `dropped`.
   */
  skippedByWalk: string[];
  /**
   * Indexed, and skipped now (grown too large, turned binary…): taken out of the index, and counted apart from the
   * deleted ones (a file that grew past the size limit was reported as deleted, one that turned binary as changed).
   */
  dropped: string[];
  /** Size and mtime as recorded: taken as unchanged without reading. */
  unchanged: SourceFile[];
  /** Read, and the same content as recorded (a checkout, a save without edits): only their mtime is new. */
  touched: SourceFile[];
  /** New and edited files, with their hash and chunks (kept up to the memory budget, else cut again when embedded). */
  changed: ChangedFile[];
  /** Chunks of the changed files. */
  chunks: number;
  /** Every skip: by the walk, remembered from before, and found now for their content. */
  skipped: SkippedFile[];
  /** Skipped for their content when read now: the manifest records them so they are not read again. */
  contentSkips: { file: SourceFile; skipped: SkippedFile }[];
  /** Read, but the chunker failed on them. */
  failed: { file: string; message: string }[];
}

/** Skips counted by reason, as the metadata and the dry run show them. */
export function countReasons(skipped: readonly SkippedFile[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of skipped) counts[item.reason] = (counts[item.reason] ?? 0) + 1;
  return counts;
}

export interface PlanOptions {
  chunker: Chunker;
  maxFileBytes: number;
  ignore: readonly string[];
  /** Diff only these paths (see diffPaths) instead of walking the whole tree. */
  paths?: readonly string[];
  signal?: AbortSignal;
  /** Chunk text to keep for embedding (the dry run and status keep none). */
  keepChars?: number;
  /** After each file read, of all that must be read. */
  onFile?: (read: number, toRead: number) => void;
  /** Sees each changed file's chunks once (the dry run counts their tokens). */
  onChunks?: (chunks: Chunk[]) => void;
}

/**
 * One walk (or the touched paths), diffed against the manifest by size and mtime; then every file whose size or
 * mtime moved is read, hashed and, when its content changed, cut, so the totals are known before any embedding.
 * Reads only: the store and the manifest are left as they are.
 */
export async function planIndex(root: string, manifest: Manifest, options: PlanOptions): Promise<IndexPlan> {
  await assertRealRoot(root);
  const walkOptions = { maxFileBytes: options.maxFileBytes, ignore: [...options.ignore, ...ownHomeIgnores(root)] };
  const diff = options.paths
    ? await diffPaths(root, manifest, options.paths, walkOptions)
    : await diffTree(root, manifest, walkOptions);
  const set = await countChanges(root, diff.toRead, manifest, options.chunker, {
    signal: options.signal,
    keepChars: options.keepChars,
    onFile: (read) => options.onFile?.(read, diff.toRead.length),
    onChunks: options.onChunks,
  });
  // A path the walk skips is not among its files, so those in the manifest are all in diff.deleted.
  const walkSkips = new Set(diff.walk.skipped.map((skipped) => skipped.path));
  const skippedByWalk = diff.deleted.filter((path) => walkSkips.has(path));
  const indexed = (path: string) => manifest.files.has(path) && !manifest.files.get(path)!.skipped;
  return {
    walk: diff.walk,
    paths: options.paths,
    deleted: diff.deleted.filter((path) => !walkSkips.has(path)),
    skippedByWalk,
    dropped: [...skippedByWalk.filter(indexed), ...set.skipped.map(({ file }) => file.path).filter(indexed)],
    unchanged: diff.unchanged,
    touched: set.unchanged,
    changed: set.changed,
    chunks: set.chunks,
    skipped: [...diff.walk.skipped, ...diff.stillSkipped, ...set.skipped.map(({ skipped }) => skipped)],
    contentSkips: set.skipped,
    failed: set.failed,
  };
}

/**
 * Codebases are registered at their real paths. A root that became a link since (`mv app app-old; ln -s app-b app`)
 * had every file refused as outside the root, and a run then emptied its index: nothing is planned for it instead.
 */
async function assertRealRoot(root: string): Promise<void> {
  const real = await realpath(root).catch(() => root);
  if (real !== root) {
    throw new IndexStateError(`${root} is now a link to ${real}; codectx indexes a folder at its real path (\`codectx index ${shellArg(real)}\`)`);
  }
}
