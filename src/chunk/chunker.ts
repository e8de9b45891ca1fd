/**
 * The chunking stage: file content → chunks that follow code units (see assemble.ts for the rules).
 * Files in languages with a grammar are cut along their syntax tree; Markdown by headings; anything else, or
 * a file whose parse fails, by paragraphs. Every non-blank line of a file lands in exactly one chunk.
 */
import { Parser, type Node, type Tree } from 'web-tree-sitter';
import { assemble, type Layout } from './assemble.js';
import { findDefinitions, type Label } from './definitions.js';
import { initParser, languageForPath, loadGrammar, splitterFor, type LoadedGrammar } from './languages.js';
import { markdownStructure } from './markdown.js';
import { paragraphCuts, syntaxCuts, type CutsFor } from './split.js';
import { estimateWordPieceTokens, LineCosts, type CountTokens } from './tokens.js';
import type { Chunk } from './types.js';

export { languageForPath, supportedLanguages } from './languages.js';
export { estimateWordPieceTokens, type CountTokens } from './tokens.js';

/**
 * Bumped whenever chunk boundaries or what is stored per chunk (its contents, its keyword text) change for the
 * same input; recorded with each index. 2: names weighted in the keyword text, and setext headings whose title
 * starts with a number (changelog versions). 3: names for C function-pointer returns, K&R definitions, macros
 * and typedefs, JS object literals of functions, Ruby `class << self` methods, Rust trait impls and C#'s
 * file-scoped namespace; in a function broken up for size, a statement after a nested function is no longer the
 * nested one's. 4: of two query patterns matching one node, the first in the query names it: a Rust generic impl is
 * its type (`impl<T> Stack<T>` → Stack, as `impl Display for Stack<T>` gives its methods Stack), a Kotlin
 * `enum class` an enum (both were the fallback pattern's); JS/TS `export default function () {...}` (and arrows,
 * classes) a definition named `default`, with its doc comment (it was a nameless block).
 */
export const CHUNKER_VERSION = '4';

export const DEFAULT_MAX_TOKENS = 400;

export interface ChunkerOptions {
  /** Token budget per chunk, normally the embedding model's input limit. */
  maxTokens?: number;
  /** Token counter of the embedding model; an estimate by default (see tokens.ts). */
  countTokens?: CountTokens;
}

export interface Chunker {
  /**
   * Chunks of one file, in line order, not overlapping. A chunk's content is exactly its lines startLine..endLine;
   * the parts of a definition split for size all carry its symbol, kind and container (the embedding text puts
   * those before the content, which gives a later part its context). `relativePath` (`/` between folders) is
   * kept exactly: on POSIX a backslash is part of a file's name, and reading it as `/` would report one file
   * under another's path.
   */
  chunk(relativePath: string, content: string): Promise<Chunk[]>;
  /** The token budget per chunk it cuts to. */
  readonly maxTokens: number;
}

/** C++ in a .h file: the C grammar would parse classes and namespaces as errors. */
const CPP_IN_HEADER = /^\s*(class\s+\w|namespace\b|template\s*<|public:|private:|protected:)|\w::\w/m;

export async function createChunker(options: ChunkerOptions = {}): Promise<Chunker> {
  const budget = Math.max(16, options.maxTokens ?? DEFAULT_MAX_TOKENS);
  const countTokens = options.countTokens ?? estimateWordPieceTokens;
  await initParser();
  const parser = new Parser();

  async function chunk(file: string, content: string): Promise<Chunk[]> {
    let language = languageForPath(file) ?? 'text';
    if (language === 'c' && file.endsWith('.h') && CPP_IN_HEADER.test(content)) language = 'cpp';
    const lines = content.split(/\r?\n/);
    if (lines.length > 1 && lines.at(-1) === '') lines.pop();
    const costs = new LineCosts(lines, countTokens);
    const layout = (cuts: CutsFor, labels: readonly Label[] = [], opensNode = (_row: number) => false): Layout => ({
      file,
      language,
      lines,
      costs,
      cuts,
      budget,
      minTokens: Math.max(24, Math.round(budget / 10)),
      labels,
      opensNode,
    });

    if (splitterFor(language) === 'markdown') {
      const { definitions, cuts } = markdownStructure(lines, costs, budget);
      return assemble(layout(() => cuts), definitions);
    }
    const grammar = await loadGrammar(language);
    const tree = grammar && parse(parser, grammar, content);
    if (tree) {
      try {
        const { definitions, labels } = findDefinitions(tree.rootNode, grammar.query, lines);
        const opens = (row: number) => opensNode(tree.rootNode, row, lines);
        return assemble(layout(syntaxCuts(tree.rootNode, lines, costs, budget), labels, opens), definitions);
      } finally {
        tree.delete(); // wasm memory is not garbage collected
      }
    }
    const cuts = paragraphCuts(lines);
    return assemble(layout(() => cuts), []);
  }

  return { chunk, maxTokens: budget };
}

/** Whether the first token of a row starts a named node (a statement, a comment) instead of closing one. */
function opensNode(root: Node, row: number, lines: readonly string[]): boolean {
  const column = lines[row]!.search(/\S/);
  if (column < 0) return false;
  const node = root.namedDescendantForPosition({ row, column });
  return node?.startPosition.row === row && node.startPosition.column === column;
}

function parse(parser: Parser, grammar: LoadedGrammar, content: string): Tree | undefined {
  parser.setLanguage(grammar.language);
  try {
    return parser.parse(content) ?? undefined;
  } catch {
    return undefined; // the paragraph splitter still indexes the file
  }
}
