import { execFile, execFileSync } from 'node:child_process';
import { lstatSync, readFileSync, realpathSync, statSync, type Stats } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { promisify } from 'node:util';
import { defaultIgnoreLevels, IGNORE_FILE_NAMES, readIgnoreLevelSync, SOURCE_LIKE_OUTPUT_FOLDERS, type IgnoreLevel } from './ignoreRules.js';

/** The rules in force at a walk root before its own ignore files, and how they match case. */
export interface RootIgnores {
  levels: IgnoreLevel[];
  ignoreCase: boolean;
}

/**
 * The rules a walk of `root` starts from, as git applies them: the built-in ones (less the output folders git
 * tracks files in), the configured `extra`, and, when the root lies inside a git repository, that repository's
 * .git/info/exclude and the .gitignore/.codectxignore of every folder from its top down to the root's parent.
 * Indexing packages/api of a monorepo indexed the files the top .gitignore keeps out (credentials.json). Nothing
 * above the repository's top is read.
 */
export async function rootIgnores(root: string, extra: readonly string[] = []): Promise<RootIgnores> {
  const place = placeOf(root);
  return withTracked(place, extra, place.top ? await outputFoldersKept(place, 'async') : undefined);
}

/** The same, for callers that cannot wait (the daemon's watcher starts synchronously). */
export function rootIgnoresSync(root: string, extra: readonly string[] = []): RootIgnores {
  const place = placeOf(root);
  return withTracked(place, extra, place.top ? outputFoldersKept(place, 'sync') : undefined);
}

interface Place {
  rootReal: string;
  top?: string;
  ignoreCase: boolean;
  outer: IgnoreLevel[];
}

function placeOf(root: string): Place {
  const rootReal = realpathSync(root);
  const ignoreCase = fileSystemIgnoresCase(rootReal);
  const top = repositoryTop(rootReal);
  const outer: IgnoreLevel[] = [];
  for (const source of top ? outerSources(rootReal, top) : []) {
    const level = readIgnoreLevelSync(source.dir, '', ignoreCase, source.names);
    if (level) outer.push({ ...level, above: source.above });
  }
  return { rootReal, top, ignoreCase, outer };
}

/**
 * The ignore files a root's rules read above it (present or not), for the daemon to watch: its watch of the root
 * never saw an edit of .git/info/exclude, nor of the repository's .gitignore above a subfolder indexed on its own.
 */
export function outerIgnoreFiles(root: string): string[] {
  const rootReal = realpathSync(root);
  const top = repositoryTop(rootReal);
  return top ? outerSources(rootReal, top).flatMap((source) => source.names.map((name) => join(source.dir, name))) : [];
}

/** Where rules above a root inside a repository come from: a folder, its ignore files and the root's path from it. */
interface OuterSource {
  dir: string;
  names: string[];
  above: string;
}

function outerSources(rootReal: string, top: string): OuterSource[] {
  const inside = relative(top, rootReal).split(sep).join('/');
  const sources: OuterSource[] = [];
  // A .git file (worktree, submodule) names a git folder elsewhere: its exclude file is not read.
  if (statSync(join(top, '.git'), { throwIfNoEntry: false })?.isDirectory()) sources.push({ dir: join(top, '.git', 'info'), names: ['exclude'], above: inside });
  const parts = inside === '' ? [] : inside.split('/');
  for (let depth = 0; depth < parts.length; depth++) {
    sources.push({ dir: join(top, ...parts.slice(0, depth)), names: IGNORE_FILE_NAMES, above: parts.slice(depth).join('/') });
  }
  return sources;
}

function withTracked(place: Place, extra: readonly string[], keep: Set<string> | undefined): RootIgnores {
  return { levels: [...defaultIgnoreLevels(extra, place.ignoreCase, keep ?? new Set()), ...place.outer], ignoreCase: place.ignoreCase };
}

/**
 * The output folders to keep under the root, from `git ls-files`, remembered per root while git's index file is
 * unchanged (same inode, size and mtime): the daemon asks on every change batch, and on a 70,000-file repository
 * one ls-files and the pass over its paths took 60-190 ms of a one-file batch (1-4 ms when remembered).
 */
function outputFoldersKept(place: Place, mode: 'sync'): Set<string> | undefined;
function outputFoldersKept(place: Place, mode: 'async'): Promise<Set<string> | undefined>;
function outputFoldersKept(place: Place, mode: 'sync' | 'async'): Set<string> | undefined | Promise<Set<string> | undefined> {
  const index = gitIndexFile(place.top!);
  const stamp = index?.isFile() ? `${index.dev}:${index.ino}:${index.size}:${index.mtimeMs}:${place.ignoreCase}` : undefined;
  const known = stamp !== undefined ? keptByRoot.get(place.rootReal) : undefined;
  if (known && known.stamp === stamp) return mode === 'sync' ? known.keep : Promise.resolve(known.keep);
  const remember = (tracked: Set<string> | undefined): Set<string> | undefined => {
    const keep = tracked && outputFoldersHolding(tracked, place.ignoreCase);
    // A failed ls-files (timeout, git missing) is not remembered: the next batch asks again.
    if (stamp !== undefined && keep) keptByRoot.set(place.rootReal, { stamp, keep });
    return keep;
  };
  return mode === 'sync' ? remember(trackedFiles(place.rootReal, 'sync')) : trackedFiles(place.rootReal, 'async').then(remember);
}

const keptByRoot = new Map<string, { stamp: string; keep: Set<string> }>();

/**
 * The stat of git's index file for the repository at `top`, or undefined when there is none to read. A worktree or
 * submodule has a `.git` file naming its git folder (`gitdir: ../.git/worktrees/x`), where its index is; stat of
 * `.git/index` through that file failed with ENOTDIR, and `codectx index` failed in every worktree.
 */
function gitIndexFile(top: string): Stats | undefined {
  try {
    const dotGit = join(top, '.git');
    if (!lstatSync(dotGit).isFile()) return statSync(join(dotGit, 'index'), { throwIfNoEntry: false });
    const named = /^gitdir:\s*(.+?)\s*$/m.exec(readFileSync(dotGit, 'utf8'))?.[1];
    return named ? statSync(join(resolve(top, named), 'index'), { throwIfNoEntry: false }) : undefined;
  } catch {
    // Unreadable: git is asked each time, as for a repository whose index is not there.
    return undefined;
  }
}

/** The nearest folder at or above `dir` holding a `.git` folder or file, or undefined outside any repository. */
function repositoryTop(dir: string): string | undefined {
  for (let at = dir; ; at = dirname(at)) {
    if (lstatSync(join(at, '.git'), { throwIfNoEntry: false })) return at;
    if (dirname(at) === at) return undefined;
  }
}

/**
 * Whether names differ only in case on this file system, as git decides core.ignorecase when it creates a
 * repository: the root's real path with one letter's case flipped is looked up. A path without letters says
 * nothing; then the platform's usual file system decides.
 */
function fileSystemIgnoresCase(rootReal: string): boolean {
  for (let at = rootReal; dirname(at) !== at; at = dirname(at)) {
    const name = basename(at);
    const flipped = [...name].map((c) => (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase())).join('');
    if (flipped === name) continue;
    const same = statSync(join(dirname(at), flipped), { throwIfNoEntry: false });
    const own = statSync(at);
    return same !== undefined && same.ino === own.ino && same.dev === own.dev;
  }
  return process.platform === 'darwin' || process.platform === 'win32';
}

/**
 * The files git tracks under `rootReal` (relative to it), from one `git ls-files`: offline, reads the index
 * only. Undefined without git, outside a work tree, or when git refuses (another user's repository): then the
 * built-in rules apply as they are. The repository's own config cannot run a command here (core.fsmonitor is
 * off), and GIT_DIR and the like from the environment cannot point it at another repository.
 */
function trackedFiles(rootReal: string, mode: 'sync'): Set<string> | undefined;
function trackedFiles(rootReal: string, mode: 'async'): Promise<Set<string> | undefined>;
function trackedFiles(rootReal: string, mode: 'sync' | 'async'): Set<string> | undefined | Promise<Set<string> | undefined> {
  const args = ['-c', 'core.fsmonitor=false', 'ls-files', '-z'];
  const env = { ...process.env, GIT_DIR: undefined, GIT_WORK_TREE: undefined, GIT_INDEX_FILE: undefined, GIT_CONFIG_PARAMETERS: undefined };
  const options = { cwd: rootReal, env, timeout: GIT_TIMEOUT_MS, maxBuffer: 256 * 1024 * 1024, encoding: 'utf8' as const };
  const parse = (out: string) => new Set(out.split('\0').filter((path) => path !== ''));
  if (mode === 'sync') {
    try {
      return parse(execFileSync('git', args, { ...options, stdio: ['ignore', 'pipe', 'ignore'] }));
    } catch {
      return undefined;
    }
  }
  return promisify(execFile)('git', args, options).then(
    ({ stdout }) => parse(stdout),
    () => undefined,
  );
}

const GIT_TIMEOUT_MS = 10_000;

/** The folders ('build/', 'crates/x/target/') named like SOURCE_LIKE_OUTPUT_FOLDERS that hold a tracked file. */
function outputFoldersHolding(tracked: Set<string>, ignoreCase: boolean): Set<string> {
  const names = new Set(SOURCE_LIKE_OUTPUT_FOLDERS);
  const folders = new Set<string>();
  for (const path of tracked) {
    const parts = path.split('/');
    for (let depth = 0; depth < parts.length - 1; depth++) {
      if (names.has(ignoreCase ? parts[depth]!.toLowerCase() : parts[depth]!)) folders.add(`${parts.slice(0, depth + 1).join('/')}/`);
    }
  }
  return folders;
}
