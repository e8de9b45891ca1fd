import { NAME_SEPARATOR, symbolNames } from '../chunk/symbolNames.js';
import type { FusedHit } from '../store/hybrid.js';
import type { ChunkRecord } from '../store/types.js';

/**
 * One answer, one result slot. A definition too large for one chunk is split into pieces that share its symbol;
 * and two neighbouring chunks of one file that both rank near the top are usually one answer too (a function and
 * the table it reads, a method and its helper below it). Either way they would fill two or three slots with one
 * answer, so a hit joins the better-ranked result next to it (the result's range grows) and the slot goes to the
 * next answer. Pieces of a definition join at any rank; plain neighbours only when ranked within `joinWithin`
 * (chosen by bench/quality/tune.mjs), and never past MAX_JOINED_LINES.
 */
export function groupPieces(ranked: FusedHit[], limit: number, joinWithin = 0): FusedHit[] {
  const taken: FusedHit[] = [];
  for (const [index, hit] of ranked.entries()) {
    const sibling = taken.find((t) => samePieceRun(t.chunk, hit.chunk) || (index < joinWithin && neighbours(t.chunk, hit.chunk)));
    if (sibling) {
      sibling.chunk = joinPieces(sibling.chunk, hit.chunk);
      continue;
    }
    if (taken.length === limit) break;
    taken.push({ ...hit });
  }
  return taken;
}

// Pieces of one definition are cut at statement boundaries; blank lines between them may belong to neither.
const MAX_GAP_LINES = 2;
// A joined result stays a snippet, not a file: about three chunks of ordinary code.
const MAX_JOINED_LINES = 120;

function gapBetween(a: ChunkRecord, b: ChunkRecord): number {
  return b.startLine > a.endLine ? b.startLine - a.endLine - 1 : a.startLine - b.endLine - 1;
}

function samePieceRun(a: ChunkRecord, b: ChunkRecord): boolean {
  if (a.file !== b.file || a.symbol === '' || a.symbol !== b.symbol || a.container !== b.container || a.kind !== b.kind) return false;
  const gap = gapBetween(a, b);
  return gap >= 0 && gap <= MAX_GAP_LINES;
}

function neighbours(a: ChunkRecord, b: ChunkRecord): boolean {
  if (a.file !== b.file) return false;
  const gap = gapBetween(a, b);
  return gap >= 0 && gap <= MAX_GAP_LINES && Math.max(a.endLine, b.endLine) - Math.min(a.startLine, b.startLine) < MAX_JOINED_LINES;
}

function joinPieces(a: ChunkRecord, b: ChunkRecord): ChunkRecord {
  const [first, second] = a.startLine < b.startLine ? [a, b] : [b, a];
  const blank = '\n'.repeat(second.startLine - first.endLine);
  // Neighbours keep both names, the better-ranked hit's first ("verifyPassword, User"): it is what the search
  // found, the other came along as its neighbour.
  const names = [...new Set([a, b].flatMap((c) => symbolNames(c.symbol)))];
  return { ...a, symbol: names.join(NAME_SEPARATOR), startLine: first.startLine, endLine: second.endLine, content: `${first.content}${blank}${second.content}` };
}
