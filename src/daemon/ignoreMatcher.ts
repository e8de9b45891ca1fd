import { statSync, type Stats } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { defaultIgnoreLevel, isIgnored, readIgnoreLevelSync, type IgnoreLevel } from '../files/ignoreRules.js';
import { isInside } from '../files/walk.js';

/**
 * The walker's ignore rules as a synchronous predicate over absolute paths, for chokidar's `ignored` option
 * (which cannot wait). Each directory's ignore files are read once and cached; `forget` drops the cache when
 * one of them changes.
 */
export class IgnoreMatcher {
  private readonly levels = new Map<string, IgnoreLevel | null>();
  private readonly base: IgnoreLevel;

  constructor(
    readonly root: string,
    extra: readonly string[] = [],
  ) {
    this.base = defaultIgnoreLevel(extra);
  }

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
    const isDirectory = (stats ?? statSync(absPath, { throwIfNoEntry: false }))?.isDirectory() ?? false;
    const parts = rel.split('/');
    const active: IgnoreLevel[] = [this.base];
    const rootLevel = this.level('');
    if (rootLevel) active.push(rootLevel);
    for (let depth = 1; depth < parts.length; depth++) {
      const level = this.level(parts.slice(0, depth).join('/'));
      if (level) active.push(level);
    }
    return isIgnored(active, isDirectory ? `${rel}/` : rel);
  }

  forget(): void {
    this.levels.clear();
  }

  private level(relDir: string): IgnoreLevel | undefined {
    let level = this.levels.get(relDir);
    if (level === undefined) {
      level = readIgnoreLevelSync(join(this.root, relDir), relDir) ?? null;
      this.levels.set(relDir, level);
    }
    return level ?? undefined;
  }
}

