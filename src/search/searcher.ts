import type { EmbeddingProvider } from '../embed/types.js';
import { hybridSearch, overFetch } from '../store/hybrid.js';
import type { ChunkStore, SearchFilter } from '../store/types.js';
import { secondaryDiscount } from './ranking.js';
import type { SearchResult } from './types.js';

export interface SearchOptions {
  limit: number;
  filter?: SearchFilter;
}

const QUERY_CACHE_SIZE = 256;

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

/** Hybrid search over one index: the query's vector against chunk vectors, its words against BM25, fused. */
export async function searchIndex(
  store: ChunkStore,
  queryVectors: QueryVectors,
  query: string,
  options: SearchOptions,
): Promise<SearchResult[]> {
  const vector = await queryVectors.get(query);
  // Keep every fused hit, then discount and cut: a discounted hit must make room for ones fused below the limit.
  const depth = overFetch(options.limit);
  const fused = await hybridSearch(store, {
    vector,
    text: query,
    depth,
    limit: 2 * depth,
    filter: options.filter,
  });
  const discount = secondaryDiscount(query);
  const hits = fused
    .map((hit) => ({ ...hit, score: hit.score * discount(hit.chunk) }))
    .sort((a, b) => b.score - a.score)
    .slice(0, options.limit);
  return hits.map(({ chunk, score, dense, keyword }) => ({
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
  }));
}
