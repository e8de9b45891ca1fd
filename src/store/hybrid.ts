import type { ChunkRecord, ChunkStore, RankedChunk, SearchFilter } from './types.js';

/** How one side (dense or keyword) placed a hit: its own score and its 1-based rank. */
export interface SideHit {
  score: number;
  rank: number;
}

export interface FusedHit {
  chunk: ChunkRecord;
  /** Reciprocal rank fusion score: sum over sides of weight / (k + rank). */
  score: number;
  dense?: SideHit;
  keyword?: SideHit;
}

export interface HybridQuery {
  vector: Float32Array;
  text: string;
  limit: number;
  filter?: SearchFilter;
  /** Results each side fetches (default overFetch(limit)). */
  depth?: number;
  /** Per-side weights for the fusion (default 1 each), and its constant k (default RRF_K). */
  weights?: FusionWeights;
}

export interface FusionWeights {
  dense?: number;
  keyword?: number;
  k?: number;
}

/** The usual RRF constant: damps the gap between top ranks so neither side alone dominates. */
export const RRF_K = 60;

/** Each side fetches more than asked so a hit ranked modestly on both sides can still surface. */
export function overFetch(limit: number): number {
  return Math.max(limit * 4, 50);
}

/**
 * Dense and keyword search in parallel, fused by reciprocal rank. Fusing here (not inside each store) makes
 * LanceDB and Milvus rank identically and lets every hit say how each side scored it.
 */
export async function hybridSearch(store: ChunkStore, query: HybridQuery): Promise<FusedHit[]> {
  const depth = query.depth ?? overFetch(query.limit);
  const [dense, keyword] = await Promise.all([
    store.searchDense(query.vector, depth, query.filter),
    store.searchKeyword(query.text, depth, query.filter),
  ]);
  return fuseRankings(dense, keyword, query.limit, query.weights);
}

/** Reciprocal rank fusion of two rankings, best first. */
export function fuseRankings(
  dense: RankedChunk[],
  keyword: RankedChunk[],
  limit: number,
  weights: FusionWeights = {},
): FusedHit[] {
  const k = weights.k ?? RRF_K;
  return combineSides(dense, keyword, (side) => {
    const weight = weights[side] ?? 1;
    return (_score, rank) => weight / (k + rank);
  }).slice(0, limit);
}

/**
 * Convex combination of the two sides' scores, each min-max normalised over its own ranking (a hit one side did not
 * return gets that side's 0): unlike reciprocal rank, a clear gap between a side's first and second hit survives. A
 * side that returned fewer than `depth` hits returned all it would ever score, and the rest of the index scores 0
 * there (BM25) or was never a candidate, so its floor is 0: min-max over two hits would give the second one nothing.
 */
export function fuseScores(dense: RankedChunk[], keyword: RankedChunk[], denseWeight: number, depth: number): FusedHit[] {
  return combineSides(dense, keyword, (side, ranking) => {
    const weight = side === 'dense' ? denseWeight : 1;
    let [low, high] = [ranking.length < depth ? 0 : Infinity, -Infinity];
    for (const { score } of ranking) [low, high] = [Math.min(low, score), Math.max(high, score)];
    const span = high - low || 1;
    return (score) => (weight * (score - low)) / span / (denseWeight + 1);
  });
}

/**
 * Every hit of both sides once, with how each side placed it, scored by the sum of what each side gives it
 * (`contribution` sees a side's whole ranking first, then says what a score at a 1-based rank is worth), best first.
 */
function combineSides(
  dense: RankedChunk[],
  keyword: RankedChunk[],
  contribution: (side: 'dense' | 'keyword', ranking: RankedChunk[]) => (score: number, rank: number) => number,
): FusedHit[] {
  const hits = new Map<string, FusedHit>();
  for (const [side, ranking] of [['dense', dense], ['keyword', keyword]] as const) {
    const ordered = tiedRanks(ranking);
    const worth = contribution(side, ordered.map(({ ranked, key }) => ({ ...ranked, score: key })));
    for (const { ranked, key, rank } of ordered) {
      const hit = hits.get(ranked.chunk.id) ?? { chunk: ranked.chunk, score: 0 };
      if (hit[side] !== undefined) continue; // a store returning one id twice must not count it twice
      hit[side] = { score: ranked.score, rank };
      hit.score += worth(key, rank);
      hits.set(ranked.chunk.id, hit);
    }
  }
  return [...hits.values()].sort((a, b) => b.score - a.score || byPlace(a.chunk, b.chunk));
}

/**
 * A side's ranking in an order that depends on the index's content only: equal scores (the same text twice, BM25
 * ties) came back in storage order, which an incremental index's history decides, and under reciprocal rank a tie
 * placed first or second scores differently. Scores are compared and fused at six significant digits (BM25 sums the
 * same terms in another order after an update: 7.1456108 vs 7.1456099); ties share the first rank of their group
 * and are listed by file and line. Two gatherings of the same bench cases ordered 93 of 240 keyword lists differently.
 */
function tiedRanks(ranking: RankedChunk[]): { ranked: RankedChunk; key: number; rank: number }[] {
  const keyed = ranking.map((ranked) => ({ ranked, key: Number(ranked.score.toPrecision(6)) }));
  keyed.sort((a, b) => b.key - a.key || byPlace(a.ranked.chunk, b.ranked.chunk));
  let rank = 0;
  return keyed.map(({ ranked, key }, index) => {
    if (index === 0 || key !== keyed[index - 1]!.key) rank = index + 1;
    return { ranked, key, rank };
  });
}

function byPlace(a: ChunkRecord, b: ChunkRecord): number {
  return a.file < b.file ? -1 : a.file > b.file ? 1 : a.startLine - b.startLine || a.endLine - b.endLine;
}
