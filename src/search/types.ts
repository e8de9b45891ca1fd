import type { ChunkKind } from '../chunk/types.js';

/** How one side of the hybrid search saw a result (absent when that side did not return it). */
export interface SideScore {
  score: number;
  /** 1-based rank within that side's list. */
  rank: number;
}

/** One search result, as `codectx search --json` prints it and as pre-search consumes it. */
export interface SearchResult {
  file: string;
  startLine: number;
  endLine: number;
  symbol: string;
  kind: ChunkKind;
  container: string;
  language: string;
  /** Fused score (see RankingParams.fusion), weighed by role and exact terms; higher is better, only the order means anything. */
  score: number;
  dense?: SideScore;
  keyword?: SideScore;
  content: string;
  /**
   * Set when the result is part of a definition split for size whose other pieces it does not hold: the whole
   * definition's lines, and its text when the search asked for it (SearchOptions.definitionText).
   */
  definition?: { startLine: number; endLine: number; content?: string };
}
