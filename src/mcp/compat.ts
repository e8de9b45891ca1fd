/**
 * The options of zilliztech claude-context's tools that codectx has no flag for, turned into what codectx does:
 * an extension filter becomes path globs, a splitter choice is answered with the splitter codectx uses, custom
 * extensions are checked against the ones codectx indexes. A value codectx cannot honour is refused in one line.
 */
import { UsageError } from '../errors.js';
import { ignorePatternProblem } from '../files/ignoreRules.js';
import { isSourceExtension, sourceExtensions } from '../files/languages.js';

const SPLITTERS = ['ast', 'langchain'];

const EXTENSION = /^\.?[A-Za-z0-9_+-]+$/;

/**
 * extensionFilter ([".ts", "py"]) as globs matching files with those extensions anywhere in the codebase, in
 * any case as the indexer reads extensions (globs themselves are case-sensitive, as rg's are): ".PY" is *.[pP][yY].
 */
export function extensionGlobs(extensions: readonly string[]): string[] {
  const anyCase = (char: string) => (char.toLowerCase() === char.toUpperCase() ? char : `[${char.toLowerCase()}${char.toUpperCase()}]`);
  return extensions.map((extension) => `*.${[...checkedExtension(extension, 'extensionFilter').slice(1)].map(anyCase).join('')}`);
}

/** What to tell the caller about its `splitter`: codectx always cuts along the syntax tree. */
export function splitterNote(splitter: string | undefined): string {
  if (splitter === undefined) return '';
  if (!SPLITTERS.includes(splitter)) throw new UsageError(`splitter must be "ast" or "langchain", got "${splitter}"`);
  const used = 'codectx splits code with its AST splitter (tree-sitter grammars; a line and paragraph splitter for other text)';
  return splitter === 'ast' ? ` ${used}.` : ` splitter "langchain" is not available: ${used}.`;
}

/**
 * customExtensions: codectx indexes a fixed set of extensions, so that every run and the daemon's watcher see
 * the same files (a file indexed by one run only would be dropped as deleted by the next). Extensions already
 * in that set are fine; any other is refused with the set.
 */
export function checkCustomExtensions(extensions: readonly string[] | undefined): void {
  const unknown = (extensions ?? []).map((extension) => checkedExtension(extension, 'customExtensions')).filter((extension) => !isSourceExtension(extension));
  if (unknown.length === 0) return;
  throw new UsageError(
    `customExtensions: codectx does not index ${unknown.join(', ')}; it indexes these extensions (and no others): ${sourceExtensions().join(' ')}`,
  );
}

/** Refuses, as codectx.config.json's "ignore" does, a pattern that would match nothing or cannot be compiled. */
export function checkIgnorePatterns(patterns: readonly string[] | undefined): void {
  for (const pattern of patterns ?? []) {
    const problem = ignorePatternProblem(pattern);
    if (problem === 'unclosed-bracket') {
      throw new UsageError(`ignorePatterns: "${pattern}" opens a "[" that no "]" closes, so it would match nothing; use "\\[" for a literal bracket`);
    }
    if (problem === 'trailing-backslash') throw new UsageError(`ignorePatterns: "${pattern}" is not a pattern (a trailing "\\" escapes nothing)`);
  }
}

function checkedExtension(extension: string, option: string): string {
  const trimmed = extension.trim();
  if (!EXTENSION.test(trimmed)) throw new UsageError(`${option} takes file extensions such as ".ts" or "py", got "${extension}"`);
  return trimmed.startsWith('.') ? trimmed : `.${trimmed}`;
}
