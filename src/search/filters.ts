/**
 * Search filters as people type them, turned into what the index holds: a language id from an alias or an
 * extension ("js", "JavaScript", ".py"), a folder prefix from "./lib/" or "lib", and rg-style path globs.
 * A filter that cannot match anything is rejected here with one line, rather than answering "no results".
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import ignore from 'ignore';
import { languageAliases, supportedLanguages } from '../chunk/languages.js';
import { UsageError } from '../errors.js';
import type { SearchFilter } from '../store/types.js';

/** Files no grammar or splitter knows are indexed with this language. */
const PLAIN_TEXT = 'text';

/** Filters as a person gives them (flags, tool arguments); absent ones filter nothing. */
export interface FilterInput {
  language?: string;
  kind?: string;
  under?: string;
  globs?: string[];
}

/** The store filter and path globs for `input` (kind is checked by the caller), or a UsageError naming the value that cannot match. */
export function searchFilters(input: FilterInput, root: string): { filter: SearchFilter; globs?: string[] } {
  const globs = input.globs?.length ? input.globs : undefined;
  if (globs) globFilter(globs); // a bad glob is reported now, not after the model has loaded
  const filter: SearchFilter = {
    language: input.language === undefined ? undefined : resolveLanguage(input.language),
    kind: input.kind,
    pathPrefix: input.under === undefined ? undefined : normaliseUnder(input.under, root),
  };
  return { filter, globs };
}

/** The language id the index uses for `input`, case-insensitive; a UsageError listing the known ones otherwise. */
export function resolveLanguage(input: string): string {
  const wanted = input.trim().toLowerCase();
  const aliases = languageAliases();
  const id = aliases.get(wanted) ?? aliases.get(wanted.replace(/^\./, '')) ?? (wanted === PLAIN_TEXT ? PLAIN_TEXT : undefined);
  if (id) return id;
  throw new UsageError(`unknown language "${input}"; known: ${[...supportedLanguages(), PLAIN_TEXT].join(', ')} (or an extension such as js, py, rs)`);
}

/**
 * A folder of the codebase as the prefix its files' paths start with ("lib/"), or undefined for the whole
 * codebase. Accepts "./lib/", "lib", "lib//", Windows separators, and an absolute path inside `root`.
 */
export function normaliseUnder(input: string, root: string): string | undefined {
  let relative = input.replaceAll('\\', '/');
  if (path.posix.isAbsolute(relative) || path.isAbsolute(input)) {
    relative = path.relative(root, input).replaceAll('\\', '/');
    if (relative.startsWith('..') || path.isAbsolute(relative)) throw new UsageError(`--under ${input} is outside the codebase ${root}`);
  }
  const segments = relative.split('/').filter((segment) => segment !== '' && segment !== '.');
  if (segments.includes('..')) throw new UsageError(`--under takes a folder inside the codebase, got "${input}"`);
  return segments.length > 0 ? `${segments.join('/')}/` : undefined;
}

/** A typo in --under would answer "no results"; a file there is a folder-shaped mistake (-g takes files). */
export async function assertFolder(root: string, prefix: string): Promise<void> {
  const folder = prefix.slice(0, -1);
  const info = await stat(path.join(root, folder)).catch(() => undefined);
  if (!info) throw new UsageError(`--under ${folder}: no such folder in ${root}`);
  if (!info.isDirectory()) throw new UsageError(`--under takes a folder and ${folder} is a file; use -g ${folder}`);
}

/**
 * rg's -g/--glob: gitignore-style globs on the result's path; "!glob" excludes. The last glob that matches a
 * path decides; a path no glob matches is kept only when every glob is an exclude.
 */
export function globFilter(globs: string[]): (file: string) => boolean {
  const rules = globs.map((glob) => {
    const exclude = glob.startsWith('!');
    const pattern = (exclude ? glob.slice(1) : glob).replace(/^(\.\/)+/, '');
    if (pattern.trim() === '') throw new UsageError(`--glob needs a pattern, got "${glob}"`);
    return { exclude, matcher: ignore().add(pattern) };
  });
  const keepUnmatched = rules.every((rule) => rule.exclude);
  return (file) => {
    for (let i = rules.length - 1; i >= 0; i--) {
      if (rules[i]!.matcher.ignores(file)) return !rules[i]!.exclude;
    }
    return keepUnmatched;
  };
}
