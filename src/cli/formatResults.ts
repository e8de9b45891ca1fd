import { escapeRegExp } from '../regexp.js';
import { displayTerms, selectLines, type LineSelection } from '../search/matchLines.js';
import { lineRange } from '../search/pieces.js';
import type { SearchResult } from '../search/types.js';
import { count, printable } from '../text.js';

const MAX_LINE_CHARS = 160;

// rg's colours: file names magenta, line numbers green, matches bold red.
const STYLE = { file: '35;1', lineNumber: '32', match: '31;1', dim: '2' };

/**
 * Text output of `search`, laid out like `rg --heading -C1`: results grouped under their file (files in the order
 * of their best result), each with its rank, name, line range and scores, then the lines that mention the query.
 */
export function formatResults(results: SearchResult[], query: string, color: boolean): string {
  if (results.length === 0) {
    // Both sides match words: BM25 skips symbols and emoji, and a query of them means nothing to the model either.
    const hasWords = /[\p{L}\p{N}]/u.test(query);
    return hasWords ? 'no results\n' : 'no results: the query has no letters or digits to search for (symbols and emoji are not indexed as words); describe the code in words\n';
  }
  const paint = (style: string, text: string) => (color ? `\x1b[${style}m${text}\x1b[0m` : text);
  const terms = displayTerms(query);
  const out: string[] = [];
  for (const [file, ranked] of groupByFile(results)) {
    if (out.length > 0) out.push('');
    out.push(paint(STYLE.file, printable(file)));
    for (const { result, rank } of ranked) {
      out.push(`${String(rank).padStart(2)}. ${describe(result)} ${paint(STYLE.dim, scores(result))}`);
      const selection = selectLines(result.content, result.startLine, terms);
      out.push(...showLines(selection, (text) => mark(text, terms, paint), paint));
    }
  }
  return `${out.join('\n')}\n`;
}

/** `--files`: each file once, in the order of its best result, at most `limit` of them. */
export function formatFiles(results: SearchResult[], limit: number): string {
  return [...groupByFile(results).keys()]
    .slice(0, limit)
    .map((file) => `${printable(file)}\n`)
    .join('');
}

function groupByFile(results: SearchResult[]): Map<string, { result: SearchResult; rank: number }[]> {
  const byFile = new Map<string, { result: SearchResult; rank: number }[]>();
  results.forEach((result, index) => {
    const ranked = byFile.get(result.file) ?? [];
    ranked.push({ result, rank: index + 1 });
    byFile.set(result.file, ranked);
  });
  return byFile;
}

function describe(result: SearchResult): string {
  const name = printable([result.container, result.symbol].filter(Boolean).join('.')) || `(${result.kind})`;
  return `${name}  ${lineRange(result)}`;
}

function scores(result: SearchResult): string {
  const sides = [
    result.dense ? `dense #${result.dense.rank} ${result.dense.score.toFixed(2)}` : '',
    result.keyword ? `bm25 #${result.keyword.rank} ${result.keyword.score.toFixed(1)}` : '',
  ].filter(Boolean);
  return `[${result.kind}, score ${result.score.toFixed(4)}${sides.length ? `; ${sides.join(', ')}` : ''}]`;
}

/** rg's notation: `12:` a matching line, `12-` a context line, `--` between runs. */
function showLines(selection: LineSelection, mark: (text: string) => string, paint: (style: string, text: string) => string): string[] {
  const width = String(selection.runs.at(-1)?.at(-1)?.number ?? 0).length;
  const lines: string[] = [];
  selection.runs.forEach((run, index) => {
    if (index > 0) lines.push(`    ${paint(STYLE.dim, '--')}`);
    for (const line of run) {
      const text = line.text.length > MAX_LINE_CHARS ? `${line.text.slice(0, MAX_LINE_CHARS - 3)}...` : line.text;
      const number = paint(STYLE.lineNumber, String(line.number).padStart(width));
      lines.push(`    ${number}${line.match ? ':' : '-'}${line.match ? mark(text) : text}`);
    }
  });
  if (selection.moreMatches > 0) {
    lines.push(`    ${paint(STYLE.dim, `(${count(selection.moreMatches, 'more matching line')})`)}`);
  }
  return lines;
}

function mark(line: string, terms: string[], paint: (style: string, text: string) => string): string {
  if (terms.length === 0) return line;
  // Longest first, so a whole identifier is marked rather than its first part.
  const pattern = new RegExp(`(${[...terms].sort((a, b) => b.length - a.length).map(escapeRegExp).join('|')})`, 'gi');
  return line.replace(pattern, (found) => paint(STYLE.match, found));
}
