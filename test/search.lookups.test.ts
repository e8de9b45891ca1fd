import { describe, expect, it } from 'vitest';
import { coalescedLookups } from '../src/search/lineLookups.js';
import type { ChunkRecord, FileLines } from '../src/store/types.js';

const chunk = (id: string, file: string, startLine: number, endLine: number, symbol = ''): ChunkRecord => ({
  id, file, startLine, endLine, symbol, container: '', kind: 'function', language: 'typescript', content: id,
});
const CHUNKS = [chunk('a1', 'a.ts', 1, 10, 'alpha'), chunk('a2', 'a.ts', 12, 20, 'alpha'), chunk('a3', 'a.ts', 21, 30, 'beta'), chunk('b1', 'b.ts', 1, 5)];

/** A store's chunksAt that records each query it is sent (and ignores `definition`, as a careless store would not). */
function recordingStore() {
  const queries: FileLines[][] = [];
  const chunksAt = async (lines: FileLines[]) => {
    queries.push(lines);
    return CHUNKS.filter((c) => lines.some((at) => at.file === c.file && c.startLine <= at.endLine && c.endLine >= at.startLine));
  };
  return { queries, chunksAt };
}

describe('coalescedLookups', () => {
  it('sends lookups of one tick as one query and gives each caller only what answers its own lines', async () => {
    const store = recordingStore();
    const lookup = coalescedLookups(store.chunksAt);
    const ids = (found: ChunkRecord[]) => found.map((c) => c.id).sort();
    const [gaps, pieces, other] = await Promise.all([
      lookup([{ file: 'a.ts', startLine: 11, endLine: 12 }]),
      lookup([{ file: 'a.ts', startLine: 11, endLine: 40, definition: { symbol: 'alpha', container: '', kind: 'function' } }]),
      lookup([{ file: 'b.ts', startLine: 1, endLine: 1 }]),
    ]);
    expect(store.queries).toHaveLength(1);
    expect(store.queries[0]).toHaveLength(3);
    expect(ids(gaps)).toEqual(['a2']);
    expect(ids(pieces)).toEqual(['a2']);
    expect(ids(other)).toEqual(['b1']);
    // A lookup after the batch went out is a query of its own.
    expect(ids(await lookup([{ file: 'a.ts', startLine: 25, endLine: 25 }]))).toEqual(['a3']);
    expect(store.queries).toHaveLength(2);
    expect(await lookup([])).toEqual([]);
    expect(store.queries).toHaveLength(2);
  });

  it('fails every caller of a batch whose query fails', async () => {
    const lookup = coalescedLookups(async () => {
      throw new Error('store gone');
    });
    const results = await Promise.allSettled([lookup([{ file: 'a.ts', startLine: 1, endLine: 1 }]), lookup([{ file: 'b.ts', startLine: 1, endLine: 1 }])]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });
});
