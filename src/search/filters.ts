/**
 * Search filters as people type them, turned into what the index holds: a language id from an alias or an
 * extension ("js", "JavaScript", ".py"), a folder prefix from "./lib/" or "lib", and rg-style path globs.
 * A filter that cannot match anything is rejected here with one line, rather than answering "no results".
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import picomatch from 'picomatch';
import { languageAliases, supportedLanguages } from '../chunk/languages.js';
import { UsageError } from '../errors.js';
import { isInside } from '../files/walk.js';
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
 * codebase. Accepts "./lib/", "lib", "lib//", "lib/../lib" and an absolute path inside `root`; a folder that
 * resolves outside `root` is refused. Separators are the platform's, as in the indexed paths: on POSIX a
 * backslash is part of a folder's name ("src\auth" is not src/auth).
 */
export function normaliseUnder(input: string, root: string): string | undefined {
  const resolved = path.resolve(root, input);
  if (!isInside(path.resolve(root), resolved)) throw new UsageError(`--under ${input} is outside the codebase ${root}`);
  const relative = path.relative(root, resolved).split(path.sep).join('/');
  return relative === '' ? undefined : `${relative}/`;
}

/** A typo in --under would answer "no results"; a file there is a folder-shaped mistake (-g takes files). */
export async function assertFolder(root: string, prefix: string): Promise<void> {
  const folder = prefix.slice(0, -1);
  const info = await stat(path.join(root, folder)).catch(() => undefined);
  if (!info) throw new UsageError(`--under ${folder}: no such folder in ${root}`);
  if (!info.isDirectory()) throw new UsageError(`--under takes a folder and ${folder} is a file; use -g ${folder}`);
}

/**
 * How rg reads a glob: `*` and `?` stop at "/", `**` crosses folders, `[...]` and `[!...]` are classes,
 * `{a,b}` alternates, and `*` matches dotfiles. An unclosed bracket or brace is an error, as in rg, not a
 * pattern that silently matches nothing. Extglobs and a leading "!" are not glob syntax there (the "!" of an
 * exclude is taken off before).
 */
const RG_GLOB = { windows: false, dot: true, posix: true, noextglob: true, nonegate: true, literalBrackets: false, strictBrackets: true };

/**
 * rg's -g/--glob on the result's path; "!glob" excludes. A glob without a slash matches a name at any depth,
 * one with a slash is anchored at the root; a glob that matches a folder matches the files in it, and a
 * trailing slash matches folders only. The last glob that matches a path decides; a path no glob matches is
 * kept only when every glob is an exclude.
 */
export function globFilter(globs: string[]): (file: string) => boolean {
  const rules = globs.map((glob) => ({ exclude: glob.startsWith('!'), matches: compileGlob(glob) }));
  const keepUnmatched = rules.every((rule) => rule.exclude);
  return (file) => {
    for (let i = rules.length - 1; i >= 0; i--) {
      if (rules[i]!.matches(file)) return !rules[i]!.exclude;
    }
    return keepUnmatched;
  };
}

const OPENER: Record<string, string> = { ']': '[', '}': '{' };

/**
 * picomatch's message for an unclosed class or alternation names the closer and escapes it for a JS string
 * ('use "\\]"'); what is literal is the opener, written `\[` on the command line.
 */
function globProblem(message: string): string {
  const opener = OPENER[/^Missing closing: "(.)"/.exec(message)?.[1] ?? ''];
  return opener ? `unclosed "${opener}"; write "\\${opener}" to match it literally` : message;
}

function compileGlob(glob: string): (file: string) => boolean {
  const written = (glob.startsWith('!') ? glob.slice(1) : glob).replace(/^(\.\/)+/, '');
  const foldersOnly = written.endsWith('/');
  const pattern = written.replace(/\/+$/, '');
  if (pattern.trim() === '') throw new UsageError(`--glob needs a pattern, got "${glob}"`);
  const anchored = pattern.includes('/');
  let matches: (name: string) => boolean;
  try {
    // picomatch reads a bare "(…)" as a group even with extglobs off; rg reads it as itself (Next.js's "(auth)" folders).
    matches = picomatch(pattern.replace(/^\/+/, '').replace(/\\.|[()]/g, (s) => (s.length === 1 ? `\\${s}` : s)), RG_GLOB);
  } catch (error) {
    throw new UsageError(`invalid --glob "${glob}": ${globProblem((error as Error).message)}`);
  }
  return (file) => {
    const segments = file.split('/');
    // The file's folders first, then the file itself: "src" keeps src/ui/chart.js as rg keeps what is under src.
    for (let depth = 1; depth <= segments.length; depth++) {
      if (foldersOnly && depth === segments.length) break;
      if (matches(anchored ? segments.slice(0, depth).join('/') : segments[depth - 1]!)) return true;
    }
    return false;
  };
}
