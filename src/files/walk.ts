import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import { basename, dirname, join, relative, sep } from 'node:path';
import { UsageError } from '../errors.js';
import { ignoringLevel, isIgnored, readIgnoreLevel, type IgnoreLevel } from './ignoreRules.js';
import { rootIgnores } from './repoIgnores.js';
import { isSourcePath } from './languages.js';

export const DEFAULT_MAX_FILE_BYTES = 1024 * 1024;

/** `ignored-by-default`: a folder only the built-in rules skip (build/), reported so its absence can be explained. */
export type SkipReason = 'too-large' | 'binary' | 'not-utf8' | 'minified' | 'unreadable' | 'symlink-loop' | 'outside-root' | 'ignored-by-default';

export interface SourceFile {
  /** Relative to the walk root, forward slashes. */
  path: string;
  absPath: string;
  size: number;
  mtimeMs: number;
}

export interface SkippedFile {
  path: string;
  reason: SkipReason;
  detail?: string;
}

export interface WalkResult {
  files: SourceFile[];
  skipped: SkippedFile[];
}

export interface WalkOptions {
  maxFileBytes?: number;
  /** Extra ignore patterns (.gitignore syntax) from configuration. */
  ignore?: readonly string[];
}

/**
 * Lists the source files of a codebase, honouring .gitignore/.codectxignore at every level and the built-in
 * defaults. Never throws for a bad file: it lands in `skipped` with a reason. Symlinks are followed once
 * (a link to a folder above it is a loop), and only while their real path stays inside the root: a
 * link to /etc or ~/.ssh is never read (`outside-root`). A link to a file or folder the walk lists under its own
 * path is left out: that file is indexed once, under its real path, not once more per link (its copies filled
 * result slots) nor under the link's name when the walk happened to reach the link first.
 */
export async function walkCodebase(root: string, options: WalkOptions = {}): Promise<WalkResult> {
  const maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  const rootStat = await stat(root).catch(() => undefined);
  if (!rootStat) throw new UsageError(`no such directory: ${root}`);
  if (!rootStat.isDirectory()) throw new UsageError(`not a directory: ${root}`);

  const rootReal = await realpath(root);
  const rules = await rootIgnores(root, options.ignore);
  const walker = new TreeWalker(rootReal, maxFileBytes, rules.ignoreCase);
  await walker.visit(root, rootReal, '', rules.levels);
  return walker.finish(async () => false);
}

/**
 * Only the given paths (relative to the root; files or folders, present or gone), with the same rules as a
 * whole walk: the ignore files of every folder above a path apply, links out of the root are skipped, a folder
 * is walked whole. A path that no longer exists is simply absent from the result. The daemon passes the paths a
 * change batch touched instead of walking every file again.
 */
export async function walkPaths(root: string, paths: readonly string[], options: WalkOptions = {}): Promise<WalkResult> {
  const rootReal = await realpath(root);
  const rules = await rootIgnores(root, options.ignore);
  const walker = new TreeWalker(rootReal, options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES, rules.ignoreCase);
  const levelsOf = new Map<string, Promise<IgnoreLevel[] | undefined>>();
  // The ignore levels in force inside folder `relDir`, or undefined when that folder (or one above) is ignored.
  const levelsInside = (relDir: string): Promise<IgnoreLevel[] | undefined> => {
    let levels = levelsOf.get(relDir);
    if (!levels) {
      levels = (async () => {
        const parentLevels = relDir === '' ? rules.levels : await levelsInside(parentOf(relDir));
        if (!parentLevels || (relDir !== '' && isIgnored(parentLevels, `${relDir}/`))) return undefined;
        const own = await readIgnoreLevel(join(root, relDir), relDir, rules.ignoreCase);
        return own ? [...parentLevels, own] : parentLevels;
      })();
      levelsOf.set(relDir, levels);
    }
    return levels;
  };
  for (const path of new Set(paths)) {
    const levels = await levelsInside(parentOf(path));
    if (levels) await walker.visitEntry(join(root, path), path, levels);
  }
  // A link's target need not be among the paths: ask whether a whole walk would list it.
  return walker.finish(async (real, folder) => {
    const target = relative(rootReal, real).split(sep).join('/');
    if (folder) return (await levelsInside(target)) !== undefined;
    const levels = await levelsInside(parentOf(target));
    return levels !== undefined && isSourcePath(target) && !isIgnored(levels, target);
  });
}

function parentOf(relPath: string): string {
  const slash = relPath.lastIndexOf('/');
  return slash === -1 ? '' : relPath.slice(0, slash);
}

/** A file the walk reached: `link` when through a symlink, whose target's real path is `real`. */
interface FoundFile {
  relPath: string;
  absPath: string;
  real: string;
  link: boolean;
}

/** A folder reached through a symlink, followed once the folders reached by their own paths are walked. */
interface LinkedDir {
  relPath: string;
  absPath: string;
  real: string;
  /** The real path of the folder holding the link: a link to it or above is a loop. */
  parentReal: string;
  levels: IgnoreLevel[];
}

class TreeWalker {
  private readonly result: WalkResult = { files: [], skipped: [] };
  private readonly visitedDirs: Set<string>;
  private readonly seenFiles = new Set<string>();
  /** Real paths of the files reached by their own path, and the real path of each file reached through a link. */
  private readonly ownReals = new Set<string>();
  private readonly linkReals = new Map<string, string>();
  private readonly linkedDirs: LinkedDir[] = [];

  constructor(
    private readonly rootReal: string,
    private readonly maxFileBytes: number,
    private readonly ignoreCase: boolean,
  ) {
    this.visitedDirs = new Set([rootReal]);
  }

  /**
   * The result in path order, once the linked folders are walked: without the links to files or folders listed
   * under their own path (or that `listedElsewhere`, which a walk of some paths asks about the rest of the tree).
   */
  async finish(listedElsewhere: (real: string, folder: boolean) => Promise<boolean>): Promise<WalkResult> {
    await this.followLinkedDirs(listedElsewhere);
    const copies = new Set<string>();
    for (const [path, real] of this.linkReals) {
      if (this.ownReals.has(real) || (await listedElsewhere(real, false))) copies.add(path);
    }
    const files = this.result.files.filter((file) => !copies.has(file.path));
    const skipped = this.result.skipped.filter((file) => !copies.has(file.path));
    files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    return { files, skipped };
  }

  /**
   * Walks the folders reached through links whose target no walk lists under its own path (a link into an
   * ignored folder). They wait until the rest is walked, so which name a folder is listed under does not depend
   * on the order readdir gives; links found inside them wait for the next round, each round in path order.
   */
  private async followLinkedDirs(listedElsewhere: (real: string, folder: boolean) => Promise<boolean>): Promise<void> {
    while (this.linkedDirs.length > 0) {
      const round = this.linkedDirs.splice(0).sort((a, b) => (a.relPath < b.relPath ? -1 : a.relPath > b.relPath ? 1 : 0));
      for (const dir of round) {
        if (this.visitedDirs.has(dir.real) || (await listedElsewhere(dir.real, true))) {
          if (isInside(dir.real, dir.parentReal)) {
            this.result.skipped.push({ path: dir.relPath, reason: 'symlink-loop', detail: `links back to ${dir.real}` });
          }
          continue;
        }
        this.visitedDirs.add(dir.real);
        await this.visit(dir.absPath, dir.real, dir.relPath, dir.levels);
      }
    }
  }

  /** One path given by name: a file is listed (unless ignored), a folder walked, a missing path skipped. */
  async visitEntry(absPath: string, relPath: string, levels: IgnoreLevel[]): Promise<void> {
    const link = await lstat(absPath).catch(() => undefined);
    if (!link) return;
    const target = link.isSymbolicLink() ? await stat(absPath).catch(() => undefined) : link;
    const real = await realpath(absPath).catch(() => undefined);
    if (!target || !real) return;
    if (!isInside(this.rootReal, real)) {
      this.result.skipped.push({ path: relPath, reason: 'outside-root', detail: 'a link out of the codebase' });
      return;
    }
    if (target.isDirectory()) {
      if (isIgnored(levels, `${relPath}/`)) return;
      if (link.isSymbolicLink()) {
        const parentReal = await realpath(dirname(absPath)).catch(() => undefined);
        if (parentReal) this.linkedDirs.push({ relPath, absPath, real, parentReal, levels });
        return;
      }
      if (this.visitedDirs.has(real)) return;
      this.visitedDirs.add(real);
      await this.visit(absPath, real, relPath, levels);
    } else if (target.isFile() && isSourcePath(relPath) && !isIgnored(levels, relPath)) {
      this.addFiles([{ relPath, absPath, real, link: link.isSymbolicLink() }], [target]);
    }
  }

  private addFiles(files: FoundFile[], infos: Array<{ size: number; mtimeMs: number } | undefined>): void {
    const { result, maxFileBytes } = this;
    files.forEach(({ relPath, absPath, real, link }, i) => {
      if (this.seenFiles.has(relPath)) return;
      this.seenFiles.add(relPath);
      if (link) this.linkReals.set(relPath, real);
      else this.ownReals.add(real);
      const info = infos[i];
      if (!info) {
        result.skipped.push({ path: relPath, reason: 'unreadable' });
      } else if (info.size > maxFileBytes) {
        result.skipped.push({ path: relPath, reason: 'too-large', detail: `${info.size} bytes` });
      } else {
        result.files.push({ path: relPath, absPath, size: info.size, mtimeMs: info.mtimeMs });
      }
    });
  }

  /** Walks the folder at `absDir`, whose real path is `realDir`. */
  async visit(absDir: string, realDir: string, relDir: string, levels: IgnoreLevel[]): Promise<void> {
    const { result, rootReal, visitedDirs } = this;
    let entries;
    try {
      entries = await readdir(absDir, { withFileTypes: true });
    } catch (error) {
      result.skipped.push({ path: relDir || '.', reason: 'unreadable', detail: (error as Error).message });
      return;
    }
    const own = await readIgnoreLevel(absDir, relDir, this.ignoreCase);
    const active = own ? [...levels, own] : levels;

    const files: FoundFile[] = [];
    const dirs: { relPath: string; absPath: string; real: string }[] = [];
    const badNames = entries.some((entry) => entry.name.includes(NOT_UTF8)) ? await rawNames(absDir) : undefined;
    for (const entry of entries) {
      const relPath = relDir ? `${relDir}/${entry.name}` : entry.name;
      const bad = badNames && notUtf8Name(badNames, entry.name);
      if (bad) {
        // Node decodes names as UTF-8, so such a name is no path that can be opened: said so, with its real bytes.
        result.skipped.push({ path: relDir ? `${relDir}/${bad.escaped}` : bad.escaped, reason: 'unreadable', detail: 'its name is not valid UTF-8' });
        continue;
      }
      const absPath = join(absDir, entry.name);
      let isDir = entry.isDirectory();
      let isFile = entry.isFile();
      let real = join(realDir, entry.name);
      if (entry.isSymbolicLink()) {
        const target = await stat(absPath).catch((error: NodeJS.ErrnoException) => error);
        if (target instanceof Error) {
          // A link to itself or round a circle of links (ELOOP) is no broken link: it points somewhere, endlessly.
          if (target.code === 'ELOOP') result.skipped.push({ path: relPath, reason: 'symlink-loop', detail: 'a link that leads back to itself' });
          else result.skipped.push({ path: relPath, reason: 'unreadable', detail: 'broken symlink' });
          continue;
        }
        const linked = await realpath(absPath).catch(() => undefined);
        if (!linked || !isInside(rootReal, linked)) {
          result.skipped.push({ path: relPath, reason: 'outside-root', detail: 'a link out of the codebase' });
          continue;
        }
        real = linked;
        isDir = target.isDirectory();
        isFile = target.isFile();
      }
      const ignoredBy = isDir ? ignoringLevel(active, `${relPath}/`) : undefined;
      if (isDir && !ignoredBy) {
        if (entry.isSymbolicLink()) this.linkedDirs.push({ relPath, absPath, real, parentReal: realDir, levels: active });
        else dirs.push({ relPath, absPath, real });
      } else if (ignoredBy?.builtin && !VCS_FOLDERS.has(entry.name)) {
        result.skipped.push({ path: `${relPath}/`, reason: 'ignored-by-default', detail: 'a built-in ignore rule; a `!` rule in .gitignore or .codectxignore brings it back' });
      } else if (isFile && isSourcePath(relPath) && !isIgnored(active, relPath)) files.push({ relPath, absPath, real, link: entry.isSymbolicLink() });
    }

    // A directory's files are stat'ed together: one at a time left libuv's thread pool idle (0.75 s for 10k files).
    this.addFiles(files, await Promise.all(files.map((file) => stat(file.absPath).catch(() => undefined))));

    for (const { relPath, absPath, real } of dirs) {
      if (visitedDirs.has(real)) {
        result.skipped.push({ path: relPath, reason: 'symlink-loop', detail: `already visited ${real}` });
        continue;
      }
      visitedDirs.add(real);
      await this.visit(absPath, real, relPath, active);
    }
  }
}


/** What Node puts for bytes of a file name that are not UTF-8. */
const NOT_UTF8 = '\uFFFD';

/** A folder's names as Node decodes them and with their bytes that are not UTF-8 written `\xff`. */
async function rawNames(dir: string): Promise<Array<{ decoded: string; escaped: string }>> {
  const names = await readdir(dir, { encoding: 'buffer' }).catch(() => [] as Buffer[]);
  return names.map((raw) => ({ decoded: raw.toString('utf8'), escaped: escapeInvalidUtf8(raw) }));
}

/** The raw name Node decoded as `decoded` when that name has bytes that are not UTF-8. */
function notUtf8Name(names: Array<{ decoded: string; escaped: string }>, decoded: string): { decoded: string; escaped: string } | undefined {
  return names.find((raw) => raw.decoded === decoded && raw.escaped !== decoded);
}

/**
 * `path` with the bytes of its file name that are not UTF-8 written `\xff`, when its name is one Node decoded with
 * U+FFFD in their place (a command-line argument is decoded so too); undefined when it is no such name.
 */
export async function escapedFileName(path: string): Promise<string | undefined> {
  const name = basename(path);
  if (!name.includes(NOT_UTF8)) return undefined;
  const bad = notUtf8Name(await rawNames(dirname(path)), name);
  return bad && join(dirname(path), bad.escaped);
}

function escapeInvalidUtf8(raw: Buffer): string {
  let shown = '';
  for (let at = 0; at < raw.length; ) {
    const length = utf8Length(raw, at);
    shown += length > 0 ? raw.subarray(at, at + length).toString('utf8') : `\\x${raw[at]!.toString(16).padStart(2, '0')}`;
    at += Math.max(length, 1);
  }
  return shown;
}

/** Bytes of the well-formed UTF-8 character at `at`, or 0 when none starts there. */
function utf8Length(raw: Buffer, at: number): number {
  const first = raw[at]!;
  const length = first < 0x80 ? 1 : first >= 0xc2 && first <= 0xdf ? 2 : first >= 0xe0 && first <= 0xef ? 3 : first >= 0xf0 && first <= 0xf4 ? 4 : 0;
  if (length <= 1) return length;
  const piece = raw.subarray(at, at + length);
  if (piece.length < length) return 0;
  try {
    STRICT_UTF8.decode(piece);
    return length;
  } catch {
    return 0;
  }
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

/** Folders the built-in rules skip without a word: a repository's own metadata is never anyone's question. */
const VCS_FOLDERS = new Set(['.git', '.hg', '.svn', '.codectx']);

/** Whether a real path is the root or lies under it (segment-aware: /a/bc is not inside /a/b). */
export function isInside(rootReal: string, real: string): boolean {
  return real === rootReal || real.startsWith(rootReal.endsWith(sep) ? rootReal : rootReal + sep);
}
