/**
 * Which lines of a result to show, like `rg -C`: the lines that contain a query term, with a little context,
 * in runs of contiguous lines. A chunk the query matched only by meaning shows its first lines instead.
 */
import { keywordQuery } from '../store/keywordText.js';
import { taskText } from './queryTerms.js';

export interface ShownLine {
  /** 1-based line number in the file. */
  number: number;
  text: string;
  /** The line contains a query term (rg prints `12:`), or is context (`12-`). */
  match: boolean;
}

export interface LineSelection {
  /** Runs of contiguous lines; a gap between two runs is where rg prints `--`. */
  runs: ShownLine[][];
  /** Matching lines left out to keep the result short. */
  moreMatches: number;
}

export interface LineOptions {
  /** Lines shown before and after a matching line. */
  context: number;
  /** At most this many lines per result. */
  maxLines: number;
  /** Lines shown from the top when no line matches. */
  headLines: number;
}

export const DEFAULT_LINE_OPTIONS: LineOptions = { context: 1, maxLines: 12, headLines: 6 };

/**
 * The words of a query worth finding in a line: no function words, identifiers also split, in any script (grüße,
 * 名前); three letters or more, or two outside ASCII (Chinese and Japanese words are often two characters).
 */
export function displayTerms(query: string): string[] {
  const words = keywordQuery(taskText(query)).toLowerCase().split(/[^\p{L}\p{M}\p{N}_$]+/u);
  return [...new Set(words)].filter((word) => word.length > 2 || (word.length === 2 && /[^\x00-\x7f]/.test(word)));
}

export function selectLines(content: string, startLine: number, terms: string[], options: LineOptions = DEFAULT_LINE_OPTIONS): LineSelection {
  const lines = content.split('\n');
  const matches = lines.flatMap((line, index) => (terms.some((term) => line.toLowerCase().includes(term)) ? [index] : []));
  if (matches.length === 0) {
    const head = lines.slice(0, options.headLines).map((text, index) => ({ number: startLine + index, text, match: false }));
    return { runs: [head], moreMatches: 0 };
  }
  const isMatch = new Set(matches);
  const shown = new Set<number>();
  for (const index of matches) {
    const from = Math.max(0, index - options.context);
    const to = Math.min(lines.length - 1, index + options.context);
    if (shown.size > 0 && shown.size + countNew(shown, from, to) > options.maxLines) break;
    for (let at = from; at <= to; at++) shown.add(at);
  }
  const runs: ShownLine[][] = [];
  let previous = -2;
  for (const index of [...shown].sort((a, b) => a - b)) {
    if (index !== previous + 1) runs.push([]);
    runs.at(-1)!.push({ number: startLine + index, text: lines[index]!, match: isMatch.has(index) });
    previous = index;
  }
  return { runs, moreMatches: matches.filter((index) => !shown.has(index)).length };
}

function countNew(shown: Set<number>, from: number, to: number): number {
  let count = 0;
  for (let at = from; at <= to; at++) if (!shown.has(at)) count++;
  return count;
}
