import type { EmbeddingProvider } from '../embed/types.js';
import type { ChunkStore, SearchFilter } from '../store/types.js';
import { globFilter } from './filters.js';
import { coalescedLookups } from './lineLookups.js';
import { definitionExtents, definitionOf, fillGaps, groupPieces } from './pieces.js';
import { taskText } from './queryTerms.js';
import { DEFAULT_RANKING, rankCandidates } from './ranking.js';
import type { SearchResult } from './types.js';

export interface SearchOptions {
  limit: number;
  filter?: SearchFilter;
  /** rg-style path globs ("src/**", "!*.test.ts"); the stores cannot filter by them, so each side's list is. */
  globs?: string[];
  /** Also return the whole text of a definition a result is part of: pre-search shows its verdict's target whole. */
  definitionText?: boolean;
}

/** With globs, each side fetches this many times its depth so that enough hits remain once they are applied. */
const GLOB_OVERFETCH = 5;

const QUERY_CACHE_SIZE = 256;

/**
 * Longest query searched; the rest is cut. A task pasted whole (an issue, a stack trace) fits; a megabyte sent by
 * an MCP client or a hook would otherwise be matched term by term against every candidate.
 */
export const MAX_QUERY_CHARS = 16_384;

export function boundQuery(query: string): string {
  return query.length > MAX_QUERY_CHARS ? query.slice(0, MAX_QUERY_CHARS) : query;
}

/** Embeds queries once: agents and hooks repeat the same questions. */
export class QueryVectors {
  private readonly cache = new Map<string, Float32Array>();

  constructor(private readonly embedder: EmbeddingProvider) {}

  async get(query: string): Promise<Float32Array> {
    const hit = this.cache.get(query);
    if (hit) {
      this.cache.delete(query);
      this.cache.set(query, hit);
      return hit;
    }
    const [vector] = await this.embedder.embed([query]);
    this.cache.set(query, vector!);
    if (this.cache.size > QUERY_CACHE_SIZE) this.cache.delete(this.cache.keys().next().value!);
    return vector!;
  }
}

/** Hybrid search over one index: the query's vector against chunk vectors, its words against BM25, fused and weighed. */
export async function searchIndex(
  store: ChunkStore,
  queryVectors: QueryVectors,
  fullQuery: string,
  options: SearchOptions,
): Promise<SearchResult[]> {
  const query = boundQuery(fullQuery);
  // A limit above the default depth fetches (and ranks) that many from each side.
  const params = { ...DEFAULT_RANKING, depth: Math.max(DEFAULT_RANKING.depth, options.limit) };
  const asWritten = (side: 'raw' | 'task') => (side === 'task' ? taskText(query) : query);
  const keep = options.globs?.length ? globFilter(options.globs) : undefined;
  const fetch = keep ? params.depth * GLOB_OVERFETCH : params.depth;
  // The keyword side needs no vector: it runs while the query is embedded (~4 ms of a ~30 ms query).
  const keywordSide = store.searchKeyword(asWritten(params.keywordQuery), fetch, options.filter);
  const denseSide = queryVectors.get(asWritten(params.denseQuery)).then((vector) => store.searchDense(vector, fetch, options.filter));
  // Ranks are positions in each side's list, so the globs apply before fusion, as a store filter would.
  const [dense, keyword] = (await Promise.all([denseSide, keywordSide])).map((side) =>
    keep ? side.filter((hit) => keep(hit.chunk.file)) : side,
  );
  const grouped = groupPieces(rankCandidates(query, dense, keyword, params), options.limit, params.joinWithin);
  // A joined result shows the real lines between its chunks (most gaps are one blank line), and a part of a split
  // definition says so: both looked up in one store query.
  const lookup = coalescedLookups((lines) => store.chunksAt(lines));
  const gaps = grouped.flatMap((hit) => hit.gaps);
  const [hits, extents] = await Promise.all([
    gaps.length > 0 ? lookup(gaps).then((found) => fillGaps(grouped, found)) : grouped,
    definitionExtents(
      grouped.map((hit) => hit.chunk),
      lookup,
    ),
  ]);
  return hits.map(({ chunk, score, dense, keyword }, index) => ({
    file: chunk.file,
    startLine: chunk.startLine,
    endLine: chunk.endLine,
    symbol: chunk.symbol,
    kind: chunk.kind,
    container: chunk.container,
    language: chunk.language,
    score,
    dense,
    keyword,
    content: chunk.content,
    ...definitionOf(chunk, extents[index], options.definitionText === true),
  }));
}
