// The candidate pools bench:quality saved (gather.mjs), loaded for offline re-scoring by tune.mjs and learn.mjs.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CACHE_DIR, project } from './repos.mjs';

const { rankCandidates, candidateFeatures } = await import(join(project, 'dist/search/ranking.js'));

export const hasPools = (repo) => existsSync(join(CACHE_DIR, 'pools', `${repo}.json`));

/** A repository's cases, each with its query, gold ranges and the four pools (query as written / task text, each side). */
export function loadPools(repo) {
  const saved = JSON.parse(readFileSync(join(CACHE_DIR, 'pools', `${repo}.json`), 'utf8'));
  const chunk = (id) => ({ id, ...saved.chunks[id] });
  return saved.cases.map((c) => {
    const features = candidateFeatures(c.query);
    const memo = new Map();
    return {
      query: c.query,
      gold: c.gold,
      // Pools saved before the task-text variants existed have only the query as written.
      pools: Object.fromEntries(
        ['dense', 'keyword', 'denseTask', 'keywordTask'].map((side) => [side, (c[side] ?? c[side.replace('Task', '')]).map(([id, score]) => ({ chunk: chunk(id), score }))]),
      ),
      features: (ch) => memo.get(ch.id) ?? memo.set(ch.id, features(ch)).get(ch.id),
    };
  });
}

/**
 * A stand-in for ChunkStore.chunksAt over the chunks a repository's pools hold: candidates only, not the whole index,
 * so pieces of a split definition no case ranked are missing (what uses it measures a lower bound).
 */
export function poolChunksAt(repo) {
  const chunks = Object.values(JSON.parse(readFileSync(join(CACHE_DIR, 'pools', `${repo}.json`), 'utf8')).chunks);
  return async (lines) => chunks.filter((c) => lines.some((at) => c.file === at.file && c.startLine <= at.endLine && c.endLine >= at.startLine));
}

/** The first stage's ranking of a case under `params`, from the pools its query variants select. */
export function firstStage(c, params) {
  const dense = c.pools[params.denseQuery === 'task' ? 'denseTask' : 'dense'];
  const keyword = c.pools[params.keywordQuery === 'task' ? 'keywordTask' : 'keyword'];
  return rankCandidates(c.query, dense, keyword, params, c.features);
}
