import { statSync, type Stats } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { isIgnoredWithFolders, readIgnoreLevelSync, type IgnoreLevel } from '../files/ignoreRules.js';
import { rootIgnoresSync, type RootIgnores } from '../files/repoIgnores.js';
import { isInside } from '../files/walk.js';

/**
 * The walker's ignore rules as a synchronous predicate over absolute paths, for chokidar's `ignored` option
 * (which cannot wait). Each directory's ignore files are read once and cached; `forget` drops the cache when
 * one of them changes.
 */
export class IgnoreMatcher {
  private readonly levels = new Map<string, IgnoreLevel | null>();
  /** The rules at the root (built-in, configured, the repository's above it), read at the first question. */
  private base?: RootIgnores;

  constructor(
    readonly root: string,
    private readonly extra: readonly string[] = [],
  ) {}

  /** Path relative to the root with forward slashes; undefined for the root itself or paths outside it. */
  relativePath(absPath: string): string | undefined {
    // Segment-aware (`..notes.py` at the root is inside it), on the normalised path as relative() reads it.
    const [root, normalised] = [resolve(this.root), resolve(absPath)];
    if (normalised === root || !isInside(root, normalised)) return undefined;
    const rel = relative(root, normalised);
    return sep === '/' ? rel : rel.split(sep).join('/');
  }

  ignores(absPath: string, stats?: Stats): boolean {
    const rel = this.relativePath(absPath);
    if (rel === undefined) return false;
    const isDirectory = (stats ?? statIfReachable(absPath))?.isDirectory() ?? false;
    const parts = rel.split('/');
    this.base ??= this.rootRules();
    // The root is gone (renamed or deleted): nothing under it is watched, and the watcher reports it missing.
    if (!this.base) return true;
    const active: IgnoreLevel[] = [...this.base.levels];
    const rootLevel = this.level('');
    if (rootLevel) active.push(rootLevel);
    for (let depth = 1; depth < parts.length; depth++) {
      const level = this.level(parts.slice(0, depth).join('/'));
      if (level) active.push(level);
    }
    return isIgnoredWithFolders(active, isDirectory ? `${rel}/` : rel);
  }

  /**
   * The root's rules, or undefined when the root no longer exists: chokidar asks about the paths it drops after
   * the codebase folder was renamed, and the ENOENT thrown from its callback stopped the whole daemon.
   */
  private rootRules(): RootIgnores | undefined {
    try {
      return rootIgnoresSync(this.root, this.extra);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
      throw error;
    }
  }

  forget(): void {
    this.levels.clear();
    this.base = undefined;
  }

  private level(relDir: string): IgnoreLevel | undefined {
    let level = this.levels.get(relDir);
    if (level === undefined) {
      level = readIgnoreLevelSync(join(this.root, relDir), relDir, this.base!.ignoreCase) ?? null;
      this.levels.set(relDir, level);
    }
    return level ?? undefined;
  }
}

/**
 * The path's stats, or undefined when it cannot be reached: chokidar asks about the paths it drops, and one under a
 * folder made unreadable (EACCES) or replaced by a file (ENOTDIR, a checkout turning `x/` into `x`) threw out of its
 * callback: the uncaught exception stopped the daemon and every codebase's watch with it.
 */
function statIfReachable(absPath: string): Stats | undefined {
  try {
    return statSync(absPath, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}
