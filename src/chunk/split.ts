/**
 * Where a long range of lines may be cut, and how to cut it to a token budget.
 * A cut "after row r" separates rows r and r+1. Cut quality: 0 never (inside a unit that fits the budget),
 * 1 allowed, 2 allowed and next to a blank line (preferred: authors put blank lines between thoughts).
 */
import type { Node } from 'web-tree-sitter';
import type { LineCosts } from './tokens.js';

export type Cuts = Uint8Array;

function isBlank(line: string | undefined): boolean {
  return line === undefined || line.trim() === '';
}

/** Every cut allowed; preferred at blank lines. For text no grammar understands. */
export function paragraphCuts(lines: readonly string[]): Cuts {
  const cuts = new Uint8Array(lines.length).fill(1);
  for (let r = 0; r < lines.length; r++) if (isBlank(lines[r]) || isBlank(lines[r + 1])) cuts[r] = 2;
  return cuts;
}

/** The cuts of a file, worked out when first asked for (most files have no range too large, and need none). */
export type CutsFor = () => Cuts;

/**
 * Cuts that respect syntax: nothing that fits the budget is cut inside; a node too large is cut only between
 * its children, recursively, so long functions split at statement boundaries. A leaf too large (a huge
 * string) can be cut at any line. The tree must stay alive until chunks are assembled.
 */
export function syntaxCuts(root: Node, lines: readonly string[], costs: LineCosts, budget: number): CutsFor {
  let cuts: Cuts | undefined;
  return () => (cuts ??= walkCuts(root, lines, costs, budget));
}

function walkCuts(root: Node, lines: readonly string[], costs: LineCosts, budget: number): Cuts {
  const cuts = paragraphCuts(lines);
  // A cursor walk, not node.children: it creates no JS node objects, and has no recursion for deep trees.
  // (TreeCursor.gotoFirstChildForPosition would skip to a range, but misreports and misplaces in 0.25.10.)
  const cursor = root.walk();
  try {
    for (;;) {
      const first = cursor.startPosition.row;
      const end = cursor.endPosition;
      const last = end.column === 0 && end.row > first ? end.row - 1 : end.row;
      const large = last > first && costs.range(first, last) > budget;
      if (!large) cuts.fill(0, first, Math.max(first, last));
      else if (cursor.gotoFirstChild()) continue;
      while (!cursor.gotoNextSibling()) if (!cursor.gotoParent()) return cuts;
    }
  } finally {
    cursor.delete();
  }
}

export interface Part {
  first: number;
  last: number;
}

/**
 * Cuts rows first..last into parts of at most `budget` tokens. Parts aim at equal size (so the last one is
 * not a scrap), at the allowed cut nearest that size, blank-line cuts preferred; a range with no allowed
 * cut in reach is cut at the last line that fits. A single line over budget is a part of its own. A last part
 * under `scrap` tokens (a lone `return x` after a block that could not be cut) joins the part before it: the
 * budget is soft by that much, which is within the error of the default token estimate anyway.
 */
export function packRange(first: number, last: number, costs: LineCosts, cuts: Cuts | undefined, budget: number, scrap: number): Part[] {
  const parts: Part[] = [];
  let start = first;
  while (start <= last) {
    const remaining = costs.range(start, last);
    if (remaining <= budget || !cuts) {
      parts.push({ first: start, last });
      break;
    }
    const target = remaining / Math.ceil(remaining / budget);
    let best = -1;
    let bestScore = Infinity;
    let lastFitting = start;
    for (let r = start; r < last; r++) {
      const size = costs.range(start, r);
      if (size > budget) break;
      lastFitting = r;
      if (cuts[r] === 0) continue;
      const score = Math.abs(size - target) * (cuts[r] === 2 ? 0.75 : 1);
      if (score < bestScore) [best, bestScore] = [r, score];
    }
    const end = best >= 0 ? best : lastFitting;
    parts.push({ first: start, last: end });
    start = end + 1;
  }
  const tail = parts.at(-1)!;
  if (parts.length > 1 && costs.range(tail.first, tail.last) < scrap) {
    parts.pop();
    parts.at(-1)!.last = tail.last;
  }
  return parts;
}
