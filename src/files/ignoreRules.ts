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

/** One directory's rules, matched against paths relative to that directory. */
export interface IgnoreLevel {
  /** Directory relative to the walk root ('' for the root), forward slashes. */
  dir: string;
  matcher: Ignore;
}

export async function readIgnoreLevel(absDir: string, relDir: string): Promise<IgnoreLevel | undefined> {
  const texts = await Promise.all(IGNORE_FILE_NAMES.map((name) => readFile(join(absDir, name), 'utf8').catch(() => undefined)));
  return levelFrom(relDir, texts);
}

/** The same, for callers that cannot wait (chokidar's `ignored` predicate). */
export function readIgnoreLevelSync(absDir: string, relDir: string): IgnoreLevel | undefined {
  const texts = IGNORE_FILE_NAMES.map((name) => {
    try {
      return readFileSync(join(absDir, name), 'utf8');
    } catch {
      return undefined;
    }
  });
  return levelFrom(relDir, texts);
}

function levelFrom(relDir: string, texts: (string | undefined)[]): IgnoreLevel | undefined {
  let matcher: Ignore | undefined;
  // One add per file: given a list, `ignore` takes each item as a single pattern, not as a file's lines.
  for (const text of texts) if (text !== undefined) matcher = (matcher ?? ignore()).add(compilableLines(text));
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
 * Where a pattern opens a "[" class that no "]" closes ("[unclosed", "a[]"), read as git reads .gitignore: a "!"
 * or "^" first negates, a "]" first (after it) is one of the characters, "\" escapes. Git and the ignore package
 * then match nothing with the whole pattern, silently; -g refuses such a glob.
 */
export function unclosedBracket(pattern: string): number | undefined {
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

export function defaultIgnoreLevel(extra: readonly string[] = []): IgnoreLevel {
  // `extra` comes from config (validated) but also from MCP clients' ignorePatterns: a bad one must not throw later.
  return { dir: '', matcher: ignore().add([...DEFAULT_IGNORES, ...extra.filter(compilesAsIgnorePattern)]) };
}

/**
 * Git semantics across levels: every level from the root down may ignore or re-include (`!pattern`) the path,
 * and the deepest level with an opinion wins. `relPath` is relative to the walk root; directories end in '/'.
 */
export function isIgnored(levels: readonly IgnoreLevel[], relPath: string): boolean {
  let ignored = false;
  for (const level of levels) {
    const local = level.dir === '' ? relPath : relPath.slice(level.dir.length + 1);
    const verdict = level.matcher.test(local);
    if (verdict.ignored) ignored = true;
    else if (verdict.unignored) ignored = false;
  }
  return ignored;
}
