import type { ChunkRecord } from '../store/types.js';

/**
 * Where the code a task asks about rarely lives: tests, examples, fixtures, docs and benchmarks mention the
 * same names as the implementation (often more often), so on keywords and meaning alike they crowd it out.
 */
const SECONDARY_PATH =
  /(^|\/)(tests?|__tests__|spec|specs|examples?|fixtures?|docs?|benchmarks?)(\/|$)|[._-](test|spec)\.[a-z0-9]+$|(^|\/)test_[^/]*$|_test\.go$/i;

/** A query that names tests, examples or docs wants them: no discount then. */
const ASKS_FOR_SECONDARY = /\b(tests?|testing|unit ?tests?|specs?|examples?|fixtures?|docs?|documentation|readme|benchmarks?)\b/i;

/**
 * Measured on the shared task→code cases (mean line@5 over four repositories, in-process): no discount 0.46,
 * ×0.7 0.59, ×0.5 0.64, ×0.4 0.65, ×0.3 0.66. Not lower: a test that is by far the best match (or a query
 * that only tests answer) should still surface.
 */
const SECONDARY_FACTOR = 0.4;

export function secondaryDiscount(query: string): (chunk: Pick<ChunkRecord, 'file' | 'language'>) => number {
  if (ASKS_FOR_SECONDARY.test(query)) return () => 1;
  return (chunk) => (SECONDARY_PATH.test(chunk.file) || chunk.language === 'markdown' ? SECONDARY_FACTOR : 1);
}
