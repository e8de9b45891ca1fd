import type { FusedHit } from '../store/hybrid.js';
import type { ChunkRecord } from '../store/types.js';

/**
 * A definition too large for one chunk is split into pieces that share its symbol, and for a query about it those
 * pieces would fill two or three result slots with one answer. Here a piece joins the better-ranked piece of the
 * same definition next to it (the result's range grows), and the slot goes to the next answer.
 */
export function groupPieces(ranked: FusedHit[], limit: number): FusedHit[] {
  const taken: FusedHit[] = [];
  for (const hit of ranked) {
    const sibling = taken.find((t) => samePieceRun(t.chunk, hit.chunk));
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

function samePieceRun(a: ChunkRecord, b: ChunkRecord): boolean {
  if (a.file !== b.file || a.symbol === '' || a.symbol !== b.symbol || a.container !== b.container || a.kind !== b.kind) return false;
  const gap = b.startLine > a.endLine ? b.startLine - a.endLine - 1 : a.startLine - b.endLine - 1;
  return gap >= 0 && gap <= MAX_GAP_LINES;
}

function joinPieces(a: ChunkRecord, b: ChunkRecord): ChunkRecord {
  const [first, second] = a.startLine < b.startLine ? [a, b] : [b, a];
  const blank = '\n'.repeat(second.startLine - first.endLine);
  return { ...a, startLine: first.startLine, endLine: second.endLine, content: `${first.content}${blank}${second.content}` };
}
