import type { SearchResult } from '../search/types.js';
import { keywordQuery } from '../store/keywordText.js';

const SNIPPET_LINES = 6;

/** Text output of `search`: rank, path:start-end, symbol, score, and a few lines with the query's words marked. */
export function formatResults(results: SearchResult[], query: string, color = process.stdout.isTTY === true): string {
  if (results.length === 0) return 'no results\n';
  const terms = [...new Set(keywordQuery(query).toLowerCase().split(/[^a-z0-9_$]+/))].filter((term) => term.length > 2);
  const mark = (line: string) => (color && terms.length > 0 ? highlight(line, terms) : line);
  const dim = (text: string) => (color ? `\x1b[2m${text}\x1b[0m` : text);
  const bold = (text: string) => (color ? `\x1b[1m${text}\x1b[0m` : text);
  const out: string[] = [];
  results.forEach((result, index) => {
    const name = [result.container, result.symbol].filter(Boolean).join('.') || `(${result.kind})`;
    const sides = [
      result.dense ? `dense #${result.dense.rank} ${result.dense.score.toFixed(2)}` : '',
      result.keyword ? `bm25 #${result.keyword.rank} ${result.keyword.score.toFixed(1)}` : '',
    ].filter(Boolean);
    out.push(
      `${String(index + 1).padStart(2)}. ${bold(`${result.file}:${result.startLine}-${result.endLine}`)}  ${name} ` +
        dim(`[${result.kind}, score ${result.score.toFixed(4)}${sides.length ? `; ${sides.join(', ')}` : ''}]`),
    );
    for (const line of snippet(result.content, terms)) out.push(`    ${mark(line)}`);
    out.push('');
  });
  return `${out.join('\n')}`;
}

/** The lines around the first line that mentions a query term (or the chunk's head when none does). */
function snippet(content: string, terms: string[]): string[] {
  const lines = content.split('\n');
  const first = lines.findIndex((line) => terms.some((term) => line.toLowerCase().includes(term)));
  const start = Math.max(0, Math.min(first < 0 ? 0 : first - 1, lines.length - SNIPPET_LINES));
  return lines.slice(start, start + SNIPPET_LINES).map((line) => (line.length > 160 ? `${line.slice(0, 157)}...` : line));
}

function highlight(line: string, terms: string[]): string {
  const pattern = new RegExp(`(${terms.map((term) => term.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})`, 'gi');
  return line.replace(pattern, '\x1b[33;1m$1\x1b[0m');
}
