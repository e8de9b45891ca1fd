import { walkCodebase, walkPaths, type SkippedFile, type SourceFile, type WalkResult } from '../files/walk.js';
import { unchangedSince, type Manifest } from './manifest.js';

/**
 * The working tree against the manifest, computed once by one walk: what is gone, what is unchanged by size and
 * mtime, and what must be read to decide (the first step of planIndex).
 */
export interface TreeDiff {
  walk: WalkResult;
  /** In the manifest, no longer in the tree. */
  deleted: string[];
  unchanged: SourceFile[];
  /** Recorded as skipped for their content (binary, minified…) and not touched since: the skip still stands. */
  stillSkipped: SkippedFile[];
  /** New files, and files whose size or mtime moved. */
  toRead: SourceFile[];
}

export async function diffTree(
  root: string,
  manifest: Manifest,
  options: { maxFileBytes: number; ignore: readonly string[] },
): Promise<TreeDiff> {
  return classify(await walkCodebase(root, options), manifest, () => true);
}

/**
 * The same diff for only the paths a change batch touched (files or folders, present or gone): what a whole
 * walk would say about them, at the cost of the paths rather than the tree.
 */
export async function diffPaths(
  root: string,
  manifest: Manifest,
  paths: readonly string[],
  options: { maxFileBytes: number; ignore: readonly string[] },
): Promise<TreeDiff> {
  const touched = new Set(paths);
  // An indexed file is in scope when it, or a folder above it, was touched: ancestors, not a scan of all paths.
  const inScope = (file: string) => {
    for (let at = file.length; at > 0; at = file.lastIndexOf('/', at - 1)) if (touched.has(file.slice(0, at))) return true;
    return false;
  };
  return classify(await walkPaths(root, paths, options), manifest, inScope);
}

function classify(walk: WalkResult, manifest: Manifest, inScope: (path: string) => boolean): TreeDiff {
  const present = new Set(walk.files.map((file) => file.path));
  const diff: TreeDiff = {
    walk,
    deleted: [...manifest.files.keys()].filter((path) => !present.has(path) && inScope(path)),
    unchanged: [],
    stillSkipped: [],
    toRead: [],
  };
  for (const file of walk.files) {
    const entry = manifest.files.get(file.path);
    if (!unchangedSince(entry, file)) diff.toRead.push(file);
    else if (entry!.skipped) diff.stillSkipped.push({ path: file.path, reason: entry!.skipped });
    else diff.unchanged.push(file);
  }
  return diff;
}
