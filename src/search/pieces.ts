import { NAME_SEPARATOR, symbolNames } from '../chunk/symbolNames.js';
import type { FusedHit } from '../store/hybrid.js';
import type { ChunkRecord, FileLines } from '../store/types.js';

/** A ranked hit and the hits joined into it. */
export interface GroupedHit extends FusedHit {
  /**
   * Lines of its range that none of the joined chunks hold, blank in its content: blank lines of the file, or
   * chunks the ranking left out (a long line between two functions), which fillGaps writes in.
   */
  gaps: FileLines[];
}

/**
 * One answer, one result slot. A definition too large for one chunk is split into pieces that share its symbol;
 * and two neighbouring chunks of one file that both rank near the top are usually one answer too (a function and
 * the table it reads, a method and its helper below it). Either way they would fill two or three slots with one
 * answer, so a hit joins the better-ranked result next to it (the result's range grows) and the slot goes to the
 * next answer. Pieces of a definition join at any rank; plain neighbours only when ranked within `joinWithin`
 * (chosen by bench/quality/tune.mjs), and never past MAX_JOINED_LINES.
 */
export function groupPieces(ranked: FusedHit[], limit: number, joinWithin = 0): GroupedHit[] {
  const taken: GroupedHit[] = [];
  for (const [index, hit] of ranked.entries()) {
    const sibling = taken.find((t) => samePieceRun(t.chunk, hit.chunk) || (index < joinWithin && neighbours(t.chunk, hit.chunk)));
    if (sibling) {
      const gap = linesBetween(sibling.chunk, hit.chunk);
      if (gap) sibling.gaps.push(gap);
      sibling.chunk = joinPieces(sibling.chunk, hit.chunk);
      continue;
    }
    if (taken.length === limit) break;
    taken.push({ ...hit, gaps: [] });
  }
  return taken;
}

/** The results with the lines of `found` (chunks of the store, see ChunkStore.chunksAt) written into their gaps. */
export function fillGaps(results: GroupedHit[], found: ChunkRecord[]): GroupedHit[] {
  return results.map((result) => {
    const { chunk, gaps } = result;
    const lines = chunk.content.split('\n');
    for (const gap of gaps) {
      for (const piece of found) {
        if (piece.file !== chunk.file) continue;
        const pieceLines = piece.content.split('\n');
        for (let line = Math.max(gap.startLine, piece.startLine); line <= Math.min(gap.endLine, piece.endLine); line++) {
          lines[line - chunk.startLine] = pieceLines[line - piece.startLine] ?? '';
        }
      }
    }
    return gaps.length > 0 ? { ...result, chunk: { ...chunk, content: lines.join('\n') } } : result;
  });
}

// Pieces of one definition are cut at statement boundaries; blank lines between them may belong to neither.
const MAX_GAP_LINES = 2;
// A joined result stays a snippet, not a file: about three chunks of ordinary code.
const MAX_JOINED_LINES = 120;

function gapBetween(a: ChunkRecord, b: ChunkRecord): number {
  return b.startLine > a.endLine ? b.startLine - a.endLine - 1 : a.startLine - b.endLine - 1;
}

/** The lines between two chunks of one file, if any. */
function linesBetween(a: ChunkRecord, b: ChunkRecord): FileLines | undefined {
  const [first, second] = a.startLine < b.startLine ? [a, b] : [b, a];
  return second.startLine > first.endLine + 1 ? { file: a.file, startLine: first.endLine + 1, endLine: second.startLine - 1 } : undefined;
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
