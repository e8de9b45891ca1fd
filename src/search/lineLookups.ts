import type { ChunkRecord, FileLines } from '../store/types.js';

type ChunksAt = (lines: FileLines[]) => Promise<ChunkRecord[]>;

/** Whether a chunk is one the store returns for `at` (see ChunkStore.chunksAt). */
export function answers(at: FileLines, chunk: ChunkRecord): boolean {
  if (chunk.file !== at.file || chunk.startLine > at.endLine || chunk.endLine < at.startLine) return false;
  const { definition } = at;
  return !definition || (chunk.symbol === definition.symbol && chunk.container === definition.container && chunk.kind === definition.kind);
}

/**
 * Line lookups asked for in one tick go to the store as one query, each caller getting back what answers its own
 * lines: a search fills its results' gaps and looks for the rest of split definitions at once, and a store query
 * costs ~2 ms at 100k chunks however few rows it reads.
 */
export function coalescedLookups(chunksAt: ChunksAt): ChunksAt {
  let batch: { lines: FileLines[]; resolve: (found: ChunkRecord[]) => void; reject: (error: unknown) => void }[] | undefined;
  const send = () => {
    const waiting = batch!;
    batch = undefined;
    chunksAt(waiting.flatMap((request) => request.lines)).then(
      (found) => waiting.forEach(({ lines, resolve }) => resolve(found.filter((chunk) => lines.some((at) => answers(at, chunk))))),
      (error: unknown) => waiting.forEach(({ reject }) => reject(error)),
    );
  };
  return (lines) => {
    if (lines.length === 0) return Promise.resolve([]);
    if (!batch) {
      batch = [];
      queueMicrotask(send);
    }
    return new Promise((resolve, reject) => batch!.push({ lines, resolve, reject }));
  };
}
