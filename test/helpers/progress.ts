import { startingProgress, type IndexProgress } from '../../src/index/indexRun.js';

/** An IndexProgress with every count at zero, in the embed phase, except `values`. */
export function progressOf(values: Partial<IndexProgress>): IndexProgress {
  return { ...startingProgress(), phase: 'embed', ...values };
}
