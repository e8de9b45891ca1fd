import type { IndexProgress } from '../../src/index/indexer.js';

/** An IndexProgress with every count at zero, in the embed phase, except `values`. */
export function progressOf(values: Partial<IndexProgress>): IndexProgress {
  return {
    phase: 'embed',
    filesToCount: 0,
    filesCounted: 0,
    filesTotal: 0,
    filesDone: 0,
    chunksTotal: 0,
    chunksDone: 0,
    embedded: 0,
    embeddingsPerSecond: 0,
    indexFiles: 0,
    indexChunks: 0,
    ...values,
  };
}
