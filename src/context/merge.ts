import type { ChunkKind } from '../chunk/types.js';
import { symbolNames } from '../chunk/symbolNames.js';
import type { SearchResult } from '../search/types.js';

/** One contiguous range of one file, made from one or more search results. */
export interface ContextSnippet {
  file: string;
  language: string;
  startLine: number;
  endLine: number;
  /** Symbols of the merged results, in line order, e.g. ["Session", "Session.refresh"]. */
  symbols: string[];
  kinds: ChunkKind[];
  /** Best fused score among the merged results: the snippet's value when trimming to a budget. */
  score: number;
  /** Best dense (cosine) similarity among the merged results, when the dense side saw any. */
  similarity?: number;
  content: string;
  /** Set when the snippet was cut at a line boundary to fit the budget: the last line kept. */
  truncatedAt?: number;
  /** Set when the snippet holds part of a definition split for size: the whole definition's lines. */
  definition?: { startLine: number; endLine: number };
}

/**
 * De-duplicates results and merges overlapping or adjacent ranges of the same file into one snippet (a class
 * and its method, two neighbouring functions), so no line is sent twice.
 */
export function mergeResults(results: SearchResult[]): ContextSnippet[] {
  const byFile = new Map<string, SearchResult[]>();
  for (const r of results) byFile.set(r.file, [...(byFile.get(r.file) ?? []), r]);
  const snippets: ContextSnippet[] = [];
  for (const fileResults of byFile.values()) {
    fileResults.sort((a, b) => a.startLine - b.startLine || b.endLine - a.endLine);
    let current: ContextSnippet | undefined;
    for (const r of fileResults) {
      if (current && r.startLine <= current.endLine + 1) {
        absorb(current, r);
      } else {
        if (current) snippets.push(current);
        current = fromResult(r);
      }
    }
    if (current) snippets.push(current);
  }
  return snippets.map((snippet) =>
    snippet.definition && covers(snippet, { file: snippet.file, ...snippet.definition }) ? { ...snippet, definition: undefined } : snippet,
  );
}

/** Whether the snippet holds all of those lines of that file. */
export function covers(snippet: ContextSnippet, lines: { file: string; startLine: number; endLine: number }): boolean {
  return snippet.file === lines.file && snippet.startLine <= lines.startLine && snippet.endLine >= lines.endLine;
}

function fromResult(r: SearchResult): ContextSnippet {
  return {
    file: r.file,
    language: r.language,
    startLine: r.startLine,
    endLine: r.endLine,
    symbols: qualifiedNames(r),
    kinds: [r.kind],
    score: r.score,
    similarity: r.dense?.score,
    content: r.content,
    ...(r.definition && { definition: { startLine: r.definition.startLine, endLine: r.definition.endLine } }),
  };
}

function absorb(snippet: ContextSnippet, r: SearchResult): void {
  if (r.endLine > snippet.endLine) {
    // Append only the lines past the snippet's end; the overlap is the same text of the same file.
    const lines = r.content.split('\n');
    snippet.content += `\n${lines.slice(snippet.endLine - r.startLine + 1).join('\n')}`;
    snippet.endLine = r.endLine;
  }
  for (const name of qualifiedNames(r)) if (!snippet.symbols.includes(name)) snippet.symbols.push(name);
  if (!snippet.kinds.includes(r.kind)) snippet.kinds.push(r.kind);
  if (r.definition && !snippet.definition) snippet.definition = { startLine: r.definition.startLine, endLine: r.definition.endLine };
  snippet.score = Math.max(snippet.score, r.score);
  if (r.dense) snippet.similarity = Math.max(snippet.similarity ?? -1, r.dense.score);
}

/** Each name a result's symbol lists (neighbours joined by search: "a, b"), qualified by its container. */
function qualifiedNames(r: SearchResult): string[] {
  return symbolNames(r.symbol).map((name) => (r.container && !name.startsWith(`${r.container}.`) ? `${r.container}.${name}` : name));
}
