import { fuseRankings, fuseScores, type FusedHit } from '../store/hybrid.js';
import type { ChunkRecord, RankedChunk } from '../store/types.js';
import { exactMatchShare, queryTerms } from './queryTerms.js';
import { chunkRole, rolesAskedFor, type ChunkRole } from './roles.js';

/**
 * Every constant of the ranking, in one place so bench/quality/tune.mjs can re-score candidate pools with other
 * values. The defaults are chosen there by leave-one-repository-out over the shared task → code cases (see
 * bench/quality/PROTOCOL.md for the protocol and the figures); change one only with a new run of it.
 */
export interface RankingParams {
  /** What each side searches with: the query as written, or its taskText (function words removed). */
  denseQuery: 'raw' | 'task';
  keywordQuery: 'raw' | 'task';
  /** Results each side fetches before fusion. */
  depth: number;
  /** How the sides combine: reciprocal rank, or a convex combination of their normalised scores. */
  fusion: 'rrf' | 'convex';
  /** Reciprocal rank fusion constant: smaller trusts each side's top ranks more. */
  rrfK: number;
  /** Weight of the dense side in the fusion (the keyword side weighs 1). */
  denseWeight: number;
  /** Score factor for roles the query does not ask for. */
  roleFactor: Record<Exclude<ChunkRole, 'code'>, number>;
  /** Score × (1 + exactBoost × share of the query's exact terms the chunk contains). */
  exactBoost: number;
  /** A hit the keyword side did not find must be at least this similar to the query, or it is no match at all. */
  minDense: number;
  /** A hit ranked within this many joins a neighbouring result of its file (pieces.ts). */
  joinWithin: number;
  /** Score × (lines the chunk spans) ^ lengthPrior: larger definitions are more often the code a task changes. */
  lengthPrior: number;
}

// Chosen by bench/quality/tune.mjs on all eleven repositories (its LOO run scores the same procedure held out).
// Convex fusion: LOO line@5 0.695 → 0.701 over reciprocal rank on the pools of 2026-12-04 (bench/quality/RESULTS.md);
// rrfK stays for the tuner, which weighs both fusions every run.
export const DEFAULT_RANKING: RankingParams = {
  denseQuery: 'raw',
  keywordQuery: 'task',
  depth: 100,
  fusion: 'convex',
  rrfK: 10,
  denseWeight: 1,
  // Generated files (stubs, bundles, lockfiles) weigh like config, where lockfiles were before they had a role of
  // their own; not tuned: the tuning cases have too few generated files to choose a factor.
  roleFactor: { test: 0.1, docs: 0.1, config: 0.2, vendor: 0.4, generated: 0.2 },
  exactBoost: 2,
  // Over the shared cases, gold hits in the top 10 that only the dense side found scored ≥ 0.30; queries with no
  // answer ("((", "zzqx", "purple elephant banana") bring chunks at 0.13–0.18. Half the gap above those.
  minDense: 0.25,
  joinWithin: 20,
  // A one-line constant or import that matches a task's words is rarely what the task changes; a long function that
  // matches as well more often is. LOO line@5 0.671 → 0.695, MRR 0.543 → 0.545 on the pools of 5 December, the
  // hook block 0.664 → 0.670 gold inside at the same tokens per hit (bench/quality/RESULTS.md).
  lengthPrior: 0.3,
};

/** What the ranking knows of a candidate beyond its two side scores. */
export interface CandidateFeatures {
  /** The role, or 'code' when the query asks for that role by name. */
  role: ChunkRole;
  /** Share of the query's exact terms (flags, identifiers, paths) the chunk contains. */
  exact: number;
}

/** The features of candidates for one query (a function, so a tuner can compute them once per candidate). */
export function candidateFeatures(query: string): (chunk: ChunkRecord) => CandidateFeatures {
  const asked = rolesAskedFor(query);
  const terms = queryTerms(query);
  return (chunk) => {
    const role = chunkRole(chunk);
    return { role: asked.has(role) ? 'code' : role, exact: exactMatchShare(terms, chunk) };
  };
}

/** Fuses the two sides, weighs each hit by what it is and what the query names, best first (all hits kept). */
export function rankCandidates(
  query: string,
  dense: RankedChunk[],
  keyword: RankedChunk[],
  params: RankingParams = DEFAULT_RANKING,
  features: (chunk: ChunkRecord) => CandidateFeatures = candidateFeatures(query),
): FusedHit[] {
  const [d, k] = [dense.slice(0, params.depth), keyword.slice(0, params.depth)];
  const fused =
    params.fusion === 'convex' ? fuseScores(d, k, params.denseWeight, params.depth) : fuseRankings(d, k, Infinity, { dense: params.denseWeight, k: params.rrfK });
  const relevant = fused.filter((hit) => hit.keyword !== undefined || (hit.dense?.score ?? 0) >= params.minDense);
  const hits = relevant.map((hit) => {
    const { role, exact } = features(hit.chunk);
    let score = hit.score;
    if (role !== 'code') score *= params.roleFactor[role];
    score *= 1 + params.exactBoost * exact;
    if (params.lengthPrior !== 0) score *= (hit.chunk.endLine - hit.chunk.startLine + 1) ** params.lengthPrior;
    return { ...hit, score };
  });
  return hits.sort((a, b) => b.score - a.score);
}
