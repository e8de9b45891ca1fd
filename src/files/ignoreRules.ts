import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import ignore, { type Ignore } from 'ignore';

/**
 * Never worth indexing: dependencies, build output, caches, generated bundles, lock files, secrets.
 * Patterns use .gitignore syntax and apply at every level of the tree.
 */
export const DEFAULT_IGNORES = [
  '.git/',
  '.hg/',
  '.svn/',
  '.codectx/',
  'node_modules/',
  'bower_components/',
  'jspm_packages/',
  'dist/',
  'build/',
  'out/',
  'target/',
  'coverage/',
  '.nyc_output/',
  '.next/',
  '.nuxt/',
  '.svelte-kit/',
  '.turbo/',
  '.cache/',
  '.parcel-cache/',
  '.gradle/',
  '.venv/',
  'venv/',
  '__pycache__/',
  '.mypy_cache/',
  '.pytest_cache/',
  '.ruff_cache/',
  '.tox/',
  '*.egg-info/',
  'vendor/bundle/',
  '.bundle/',
  'Pods/',
  '.idea/',
  '.vscode/',
  '*.min.js',
  '*.min.css',
  '*.map',
  'package-lock.json',
  'npm-shrinkwrap.json',
  'yarn.lock',
  'pnpm-lock.yaml',
  'bun.lockb',
  'Cargo.lock',
  'poetry.lock',
  'Pipfile.lock',
  'Gemfile.lock',
  'composer.lock',
  'go.sum',
  '.env*',
  '*.pem',
  '*.key',
  '*.p12',
  '*.pfx',
  'id_rsa*',
  'id_ed25519*',
];

/** The ignore files codectx reads in every directory, in order: later files may re-include with `!`. */
export const IGNORE_FILE_NAMES = ['.gitignore', '.codectxignore'];

/**
 * Built-in folder rules whose names some projects use for source (bat's build/ build script, coverage.py's
 * coverage/): a folder they match is indexed anyway when git tracks files in it. Dependency and bundle folders
 * (node_modules/, dist/, vendor/bundle/) stay skipped even when committed: that code is not the project's.
 */
export const SOURCE_LIKE_OUTPUT_FOLDERS = ['build', 'out', 'target', 'coverage'];

/** One directory's rules, matched against paths relative to that directory. */
export interface IgnoreLevel {
  /** Directory relative to the walk root ('' for the root), forward slashes. */
  dir: string;
  /**
   * Set for a folder above the walk root (the repository's top, a parent package): the walk root's path from
   * that folder ('packages/api'), put before every path the level matches, as git matches it.
   */
  above?: string;
  matcher: Ignore;
  /** Set on the built-in rules only: what they skip is reported, and `keep` folders ('build/') are not skipped. */
  builtin?: { keep: ReadonlySet<string> };
}

/**
 * A matcher with git's case rule: exact on a case-sensitive file system (core.ignorecase false), as git on
 * Linux matches; the ignore package's default ignored case everywhere, so `Src/` dropped src/.
 */
export function newMatcher(ignoreCase: boolean): Ignore {
  return ignore({ ignorecase: ignoreCase });
}

export async function readIgnoreLevel(absDir: string, relDir: string, ignoreCase: boolean): Promise<IgnoreLevel | undefined> {
  const texts = await Promise.all(IGNORE_FILE_NAMES.map((name) => readFile(join(absDir, name), 'utf8').catch(() => undefined)));
  return levelFrom(relDir, texts, ignoreCase);
}

/** The same, for callers that cannot wait (chokidar's `ignored` predicate). */
export function readIgnoreLevelSync(absDir: string, relDir: string, ignoreCase: boolean, names = IGNORE_FILE_NAMES): IgnoreLevel | undefined {
  const texts = names.map((name) => {
    try {
      return readFileSync(join(absDir, name), 'utf8');
    } catch {
      return undefined;
    }
  });
  return levelFrom(relDir, texts, ignoreCase);
}

function levelFrom(relDir: string, texts: (string | undefined)[], ignoreCase: boolean): IgnoreLevel | undefined {
  let matcher: Ignore | undefined;
  // One add per file: given a list, `ignore` takes each item as a single pattern, not as a file's lines.
  for (const text of texts) if (text !== undefined) matcher = (matcher ?? newMatcher(ignoreCase)).add(compilableLines(text));
  return matcher ? { dir: relDir, matcher } : undefined;
}

/**
 * The lines of an ignore file the ignore package can compile. A pattern ending in an unescaped backslash (`a\\\`)
 * made it throw an invalid-regex error at the first match, so one line of a cloned repository's .gitignore stopped
 * every index run; git matches nothing with such a line, and so does codectx now.
 */
function compilableLines(text: string): string {
  return text.split(/\r?\n/).filter(compilesAsIgnorePattern).join('\n');
}

export function compilesAsIgnorePattern(pattern: string): boolean {
  try {
    ignore().add(pattern).test('x');
    return true;
  } catch {
    return false;
  }
}

/**
 * Why a configured ignore pattern cannot be honoured, or undefined: a "[" no "]" closes (git then matches nothing
 * with it, silently), or a trailing unescaped "\" (the ignore package throws at the first match). The config file
 * and MCP's ignorePatterns refuse such patterns, each in its own words.
 */
export function ignorePatternProblem(pattern: string): 'unclosed-bracket' | 'trailing-backslash' | undefined {
  if (unclosedBracket(pattern) !== undefined) return 'unclosed-bracket';
  return compilesAsIgnorePattern(pattern) ? undefined : 'trailing-backslash';
}

/**
 * Where a pattern opens a "[" class that no "]" closes ("[unclosed", "a[]"), read as git reads .gitignore: a "!"
 * or "^" first negates, a "]" first (after it) is one of the characters, "\" escapes. Git and the ignore package
 * then match nothing with the whole pattern, silently; -g refuses such a glob.
 */
function unclosedBracket(pattern: string): number | undefined {
  for (let at = 0; at < pattern.length; at++) {
    if (pattern[at] === '\\') at++;
    else if (pattern[at] === '[') {
      let end = at + 1;
      if (pattern[end] === '!' || pattern[end] === '^') end++;
      if (pattern[end] === ']') end++;
      while (end < pattern.length && pattern[end] !== ']') end += pattern[end] === '\\' ? 2 : 1;
      if (end >= pattern.length) return at;
      at = end;
    }
  }
  return undefined;
}

/**
 * The built-in rules, then the configured patterns as a level of their own: a folder git tracks is exempt from
 * the built-in rules only (`keep`, paths relative to the walk root ending in '/'), never from the user's.
 */
export function defaultIgnoreLevels(extra: readonly string[] = [], ignoreCase = true, keep: ReadonlySet<string> = new Set()): IgnoreLevel[] {
  const levels: IgnoreLevel[] = [{ dir: '', matcher: newMatcher(ignoreCase).add(DEFAULT_IGNORES), builtin: { keep } }];
  // `extra` comes from config (validated) but also from MCP clients' ignorePatterns: a bad one must not throw later.
  const patterns = extra.filter(compilesAsIgnorePattern);
  if (patterns.length > 0) levels.push({ dir: '', matcher: newMatcher(ignoreCase).add(patterns) });
  return levels;
}

/**
 * The level whose rule ignores `relPath` itself, or undefined when it is kept: git's semantics across levels,
 * where every level from the outermost down may ignore or re-include (`!pattern`) the path, and the deepest with
 * an opinion wins. The folders above the path are taken as kept (the walk only enters kept folders): a level's
 * rule for a folder above, such as the built-in `build/`, does not reach the files of a folder that a later
 * level re-included (`!build/`). `relPath` is relative to the walk root; directories end in '/'.
 */
export function ignoringLevel(levels: readonly IgnoreLevel[], relPath: string): IgnoreLevel | undefined {
  let decided: IgnoreLevel | undefined;
  for (const level of levels) {
    const local = pathInLevel(level, relPath);
    if (local === undefined) continue;
    const verdict = ownVerdict(level.matcher, local);
    if (verdict.ignored) decided = level.builtin?.keep.has(relPath) ? undefined : level;
    else if (verdict.unignored) decided = undefined;
  }
  return decided;
}

/** Whether the walk leaves `relPath` out, its folders above being kept (see ignoringLevel). */
export function isIgnored(levels: readonly IgnoreLevel[], relPath: string): boolean {
  return ignoringLevel(levels, relPath) !== undefined;
}

/** The same for a path on its own: ignored too when a folder above it is (node_modules/x/index.js). */
export function isIgnoredWithFolders(levels: readonly IgnoreLevel[], relPath: string): boolean {
  for (let slash = relPath.indexOf('/'); slash !== -1 && slash < relPath.length - 1; slash = relPath.indexOf('/', slash + 1)) {
    if (isIgnored(levels, relPath.slice(0, slash + 1))) return true;
  }
  return isIgnored(levels, relPath);
}

/** `relPath` as the level matches it, or undefined when it is not below the level's folder. */
function pathInLevel(level: IgnoreLevel, relPath: string): string | undefined {
  if (level.above !== undefined) return level.above === '' ? relPath : `${level.above}/${relPath}`;
  if (level.dir === '') return relPath;
  return relPath.startsWith(`${level.dir}/`) && relPath.length > level.dir.length + 1 ? relPath.slice(level.dir.length + 1) : undefined;
}

interface Verdict {
  ignored: boolean;
  unignored: boolean;
}

/**
 * The level's rules applied to the path alone. The ignore package's test() first applies them to every folder
 * above, and answers "ignored" for a file under a folder the level ignores, whatever a later level says about
 * that folder; its rule list (internal, pinned by test/files.test.ts) tests one path as git's last-match does.
 */
function ownVerdict(matcher: Ignore, path: string): Verdict {
  return (matcher as unknown as { _rules: { test(path: string, checkUnignored: boolean, mode: 'regex'): Verdict } })._rules.test(path, true, 'regex');
}
