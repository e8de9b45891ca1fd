/**
 * The language table (grammars/languages.json) and lazily loaded tree-sitter grammars and queries.
 * grammars/ is read from the package root at run time: this module sits one folder below the root in both
 * src/ and dist/, so '../../grammars/' resolves the same from either.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Language, Parser, Query } from 'web-tree-sitter';
import { CodectxError, describeError } from '../errors.js';

interface LanguageEntry {
  extensions: string[];
  /** Names people use for the language beyond its id and extensions ("golang", "c#"), for search filters. */
  aliases?: string[];
  filenames?: string[];
  /** tree-sitter grammar name: node_modules/@cursorless/tree-sitter-wasms/out/tree-sitter-<grammar>.wasm */
  grammar?: string;
  /** File(s) in grammars/queries/ marking chunk nodes, concatenated (languages that share patterns list both). */
  query?: string | string[];
  /** A splitter that needs no grammar (markdown). */
  splitter?: 'markdown';
}

export interface LoadedGrammar {
  language: Language;
  query: Query;
}

const grammarsDir = fileURLToPath(new URL('../../grammars/', import.meta.url));
const table: Record<string, LanguageEntry> = JSON.parse(readFileSync(path.join(grammarsDir, 'languages.json'), 'utf8'));

const byExtension = new Map<string, string>();
const byFilename = new Map<string, string>();
for (const [id, entry] of Object.entries(table)) {
  for (const ext of entry.extensions) byExtension.set(ext.toLowerCase(), id);
  for (const name of entry.filenames ?? []) byFilename.set(name, id);
}

export function supportedLanguages(): string[] {
  return Object.keys(table);
}

/** Every lower-case name a language goes by (its id, its aliases, its extensions without the dot) → its id. */
export function languageAliases(): ReadonlyMap<string, string> {
  const names = new Map<string, string>();
  for (const [id, entry] of Object.entries(table)) {
    for (const ext of entry.extensions) names.set(ext.slice(1).toLowerCase(), id);
    for (const alias of entry.aliases ?? []) names.set(alias.toLowerCase(), id);
  }
  // An id wins over another language's extension or alias of the same spelling.
  for (const id of Object.keys(table)) names.set(id, id);
  return names;
}

/** Language id for a path by file name, then extension; undefined when no grammar or splitter knows it. */
export function languageForPath(relativePath: string): string | undefined {
  const base = path.posix.basename(relativePath);
  const named = byFilename.get(base);
  if (named) return named;
  const dot = base.lastIndexOf('.');
  return dot > 0 ? byExtension.get(base.slice(dot).toLowerCase()) : undefined;
}

export function splitterFor(languageId: string): LanguageEntry['splitter'] {
  return table[languageId]?.splitter;
}

function wasmDir(): string {
  const require = createRequire(import.meta.url);
  return path.join(path.dirname(require.resolve('@cursorless/tree-sitter-wasms/package.json')), 'out');
}

let parserReady: Promise<void> | undefined;
const grammars = new Map<string, Promise<LoadedGrammar>>();

/** Initialises the tree-sitter runtime once per process. */
export function initParser(): Promise<void> {
  parserReady ??= Parser.init();
  return parserReady;
}

/** Loads (once) the grammar and compiled chunk query of a language; undefined for languages without a grammar. */
export function loadGrammar(languageId: string): Promise<LoadedGrammar> | undefined {
  const entry = table[languageId];
  if (!entry?.grammar || !entry.query) return undefined;
  let loaded = grammars.get(languageId);
  if (!loaded) {
    const { grammar, query } = entry;
    loaded = (async () => {
      try {
        await initParser();
        const language = await Language.load(path.join(wasmDir(), `tree-sitter-${grammar}.wasm`));
        const source = [query]
          .flat()
          .map((file) => readFileSync(path.join(grammarsDir, 'queries', file), 'utf8'))
          .join('\n');
        return { language, query: new Query(language, source) };
      } catch (error) {
        throw new CodectxError(`cannot load the ${languageId} grammar: ${describeError(error)}`, 1, { cause: error });
      }
    })();
    grammars.set(languageId, loaded);
  }
  return loaded;
}
