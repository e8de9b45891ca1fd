import { lstatSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import { CONFIG_FILE } from '../config/config.js';
import { isSourcePath } from '../files/languages.js';
import { IGNORE_FILE_NAMES } from '../files/ignoreRules.js';
import { outerIgnoreFiles } from '../files/repoIgnores.js';
import { IgnoreMatcher } from './ignoreMatcher.js';

export type WatchEvent =
  /** A source file (or a directory that may hold some) was added, changed or removed. */
  | { kind: 'change'; path: string }
  /** An ignore file or the codebase's config changed: the set of indexed files may have changed with it. */
  | { kind: 'rules'; path: string }
  /** A folder chokidar will not watch where it is (it replaced a link of its name): watch the tree afresh. */
  | { kind: 'rewatch'; path: string }
  /** The watched root itself went away. */
  | { kind: 'root-gone' };

export interface CodebaseWatcher {
  /** Resolves once the initial scan is done and every event from then on is reported. */
  ready: Promise<void>;
  close(): Promise<void>;
}

/** Kernel limits (inotify watches, open files): past one, every further folder fails the same way. */
const SYSTEM_LIMITS = new Set(['ENOSPC', 'EMFILE']);

/**
 * Watches a codebase with the same ignore rules as `codectx index`, so ignored trees (node_modules, build
 * output) are never even watched, and reports only events that can change the index. At a system limit the
 * watch ends, reported once (`ended`): a big tree logged a line per folder (~8,500) and held the rest back.
 */
export function watchTree(
  root: string,
  extraIgnores: readonly string[],
  onEvent: (event: WatchEvent) => void,
  onError: (error: Error, ended: boolean) => void,
): CodebaseWatcher {
  const matcher = new IgnoreMatcher(root, extraIgnores);
  // chokidar keeps a link it does not follow only as a name in its folder's listing: when a checkout replaces the
  // link with a file or folder of that name, the name is still listed, so neither the new file nor any later save
  // of it was reported (it stayed out of the index). The folder's own raw events still name it.
  const links = new Set<string>();
  const watcher: FSWatcher = watch(root, {
    ignoreInitial: true,
    // chokidar would hold every unlink 100 ms to spot an atomic save (unlink + add); the run after the debounce
    // reads the tree as it is anyway, so that delay only slows deletions down.
    atomic: false,
    // Links are not followed: one out of the root would watch (and report) files outside the codebase, and one
    // inside it points at files watched where they are. The walk of each run still indexes through inside links.
    followSymlinks: false,
    ignorePermissionErrors: true,
    ignored: (path, stats) => {
      const ignored = matcher.ignores(path, stats);
      if (!ignored && stats?.isSymbolicLink()) links.add(path);
      return ignored;
    },
  });

  const report = (event: string, path: string): void => {
    if (path === root) {
      if (event === 'unlinkDir') onEvent({ kind: 'root-gone' });
      return;
    }
    const rel = matcher.relativePath(path);
    if (rel === undefined) return;
    const name = basename(rel);
    if (IGNORE_FILE_NAMES.includes(name) || rel === CONFIG_FILE) {
      matcher.forget();
      onEvent({ kind: 'rules', path: rel });
      return;
    }
    const isDirectoryEvent = event === 'addDir' || event === 'unlinkDir';
    if (!isDirectoryEvent && !isSourcePath(rel)) return;
    onEvent({ kind: 'change', path: rel });
  };
  watcher.on('all', (event, path) => {
    if (event === 'unlink' || event === 'unlinkDir') links.delete(path);
    report(event, path);
  });
  watcher.on('raw', (_event, name, details) => {
    const folder = (details as { watchedPath?: string }).watchedPath;
    // fs.watch may give no name (a null on some systems), and a file's own watch names the file again.
    const path = folder === undefined || typeof name !== 'string' ? undefined : join(folder, name);
    if (path === undefined || !links.has(path)) return;
    const rel = matcher.relativePath(path);
    if (rel === undefined || !isFolder(path)) return report('change', path);
    // chokidar still takes the folder for the link, and a link it does not follow is never watched through.
    links.delete(path);
    onEvent({ kind: 'rewatch', path: rel });
  });
  const outer = watchIgnoreFiles(outerIgnoreFilesOf(root), (path) => {
    matcher.forget();
    onEvent({ kind: 'rules', path: relative(root, path) });
  });
  let ended = false;
  watcher.on('error', (thrown) => {
    if (ended) return;
    const error = thrown instanceof Error ? thrown : new Error(String(thrown));
    ended = SYSTEM_LIMITS.has((error as NodeJS.ErrnoException).code ?? '');
    if (ended) {
      void watcher.close().catch(() => undefined);
      // close() drops every listener, and folders still being added fail alike: an error nobody hears is thrown.
      watcher.on('error', () => undefined);
    }
    onError(error, ended);
  });
  outer?.on('error', (thrown) => onError(thrown instanceof Error ? thrown : new Error(String(thrown)), false));
  const readyOf = (each: FSWatcher) => new Promise<void>((resolve) => each.once('ready', () => resolve()));
  return {
    ready: Promise.all([readyOf(watcher), outer && readyOf(outer)]).then(() => undefined),
    close: async () => {
      await Promise.all([watcher.close(), outer?.close()]);
    },
  };
}

/**
 * Watches only the given files (present or not) by their folders, one level deep: watching a file that is not
 * there yet missed the second of two in one folder.
 */
function watchIgnoreFiles(files: string[], onChange: (path: string) => void): FSWatcher | undefined {
  if (files.length === 0) return undefined;
  const wanted = new Set(files);
  const folders = new Set(files.map((file) => dirname(file)));
  const watcher = watch([...folders], { ignoreInitial: true, atomic: false, depth: 0, ignorePermissionErrors: true, ignored: (path) => !folders.has(path) && !wanted.has(path) });
  watcher.on('all', (_event, path) => {
    if (wanted.has(path)) onChange(path);
  });
  return watcher;
}

/** A root gone by now has none: the watch of the root reports it missing. */
function outerIgnoreFilesOf(root: string): string[] {
  try {
    return outerIgnoreFiles(root);
  } catch {
    return [];
  }
}

function isFolder(path: string): boolean {
  try {
    return lstatSync(path, { throwIfNoEntry: false })?.isDirectory() ?? false;
  } catch {
    return false;
  }
}
