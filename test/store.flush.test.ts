import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as lancedb from '@lancedb/lancedb';
import { describe, expect, it } from 'vitest';
import { createChunker } from '../src/chunk/chunker.js';
import { toRecord } from '../src/index/chunkRecords.js';
import { keywordQuery } from '../src/store/keywordText.js';
import { openLanceStore } from '../src/store/lance.js';
import type { StoredChunk } from '../src/store/types.js';
import { PROJECT_ROOT } from './helpers/cli.js';

/** Real chunks of this project's own source, so BM25 statistics look like a real codebase's. */
async function projectChunks(): Promise<StoredChunk[]> {
  const chunker = await createChunker({ maxTokens: 240 });
  const chunks: StoredChunk[] = [];
  for (const folder of ['src/index', 'src/store', 'src/chunk', 'src/files', 'src/cli/commands']) {
    for (const name of readdirSync(join(PROJECT_ROOT, folder)).filter((file) => file.endsWith('.ts'))) {
      const file = `${folder}/${name}`;
      for (const chunk of await chunker.chunk(file, readFileSync(join(PROJECT_ROOT, file), 'utf8'))) {
        chunks.push({ ...toRecord(chunk, 'h'), vector: new Float32Array(8).fill(1 / Math.sqrt(8)) });
      }
    }
  }
  return chunks;
}

describe('LanceDB keyword side after many writes', () => {
  it('ranks by real BM25 once flushed, whatever the write history', async () => {
    const store = await openLanceStore({ dir: mkdtempSync(join(tmpdir(), 'codectx-flush-')), table: 't', dimension: 8 });
    const chunks = await projectChunks();
    expect(chunks.length).toBeGreaterThan(150);
    // Written in several batches, like an index run's groups.
    for (let i = 0; i < chunks.length; i += 64) await store.upsert(chunks.slice(i, i + 64));
    await store.flush();
    const top = async (query: string) => (await store.searchKeyword(keywordQuery(query), 5)).map((hit) => hit.chunk);
    expect((await top('acquireLock stale lock owner pid'))[0]).toMatchObject({ file: 'src/index/lock.ts', symbol: 'acquireLock' });
    expect((await top('embedding cache torn record truncate'))[0]!.file).toBe('src/index/embeddingCache.ts');
    const scores = (await store.searchKeyword(keywordQuery('manifest hash file entry'), 10)).map((hit) => hit.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    await store.close();
  });

  it('leaves a small change outside the index (found all the same) and folds a larger one in', async () => {
    // Folding compacts, rewriting the table: one edit must not cost a rewrite of every chunk.
    const dir = mkdtempSync(join(tmpdir(), 'codectx-flush-'));
    const store = await openLanceStore({ dir, table: 't', dimension: 8 });
    const chunks = await projectChunks();
    await store.upsert(chunks);
    await store.flush();
    const table = await (await lancedb.connect(dir, { readConsistencyInterval: 0 })).openTable('t');
    const waiting = async () => (await table.indexStats('search_text_idx'))!.numUnindexedRows;
    expect(await waiting()).toBe(0);

    const edited = { ...chunks[0]!, id: 'edited', content: `${chunks[0]!.content}\n// quokkaFlushMarker` };
    await store.upsert([edited]);
    await store.flush();
    expect(await waiting()).toBe(1);
    const [hit] = await store.searchKeyword(keywordQuery('quokkaFlushMarker'), 5);
    expect(hit?.chunk.content).toContain('quokkaFlushMarker');

    const many = chunks.slice(0, Math.ceil(chunks.length * 0.05)).map((chunk, i) => ({ ...chunk, id: `more${i}` }));
    await store.upsert(many);
    await store.flush();
    expect(await waiting()).toBe(0);
    expect((await store.searchKeyword(keywordQuery('quokkaFlushMarker'), 5))[0]?.chunk.id).toBe('edited');
    table.close();
    await store.close();
  });

  it('keeps the number of fragments bounded under a stream of one-chunk edits', async () => {
    // Every write adds a fragment and every query opens them all: a day of saves must not slow search down.
    const dir = mkdtempSync(join(tmpdir(), 'codectx-flush-'));
    const store = await openLanceStore({ dir, table: 't', dimension: 8 });
    // Ten copies: large enough that 30 one-chunk edits stay under the share of waiting rows that folds anyway.
    const chunks = (await projectChunks()).flatMap((chunk) => Array.from({ length: 10 }, (_, copy) => ({ ...chunk, id: `${chunk.id}-${copy}` })));
    await store.upsert(chunks);
    await store.flush();
    const table = await (await lancedb.connect(dir, { readConsistencyInterval: 0 })).openTable('t');
    let most = 0;
    for (let edit = 0; edit < 30; edit++) {
      await store.upsert([{ ...chunks[edit]!, content: `${chunks[edit]!.content}\n// edit ${edit}` }]);
      await store.flush();
      most = Math.max(most, (await table.stats()).fragmentStats.numFragments);
    }
    expect(most).toBeGreaterThan(20); // the edits did pile up fragments...
    expect(most).toBeLessThanOrEqual(26); // ...and flush folded them before they passed the bound
    expect(await store.count()).toBe(chunks.length);
    table.close();
    await store.close();
  });
});

describe('LanceDB vector index over many folds', () => {
  /** Rows with random unit vectors (a seeded generator), enough of them for the ANN index. */
  function randomChunks(count: number, first: number, dimension: number): StoredChunk[] {
    let state = first + 1;
    const random = () => ((state = (state * 1103515245 + 12345) % 2147483648) / 2147483648) - 0.5;
    return Array.from({ length: count }, (_, i) => {
      const vector = Float32Array.from({ length: dimension }, random);
      const norm = Math.hypot(...vector);
      const n = first + i;
      return {
        id: `row${n}`,
        file: `src/file${Math.floor(n / 8)}.ts`,
        language: 'typescript',
        symbol: `f${n}`,
        kind: 'function',
        container: '',
        startLine: 1 + (n % 8) * 10,
        endLine: 9 + (n % 8) * 10,
        content: `function f${n}() {}`,
        contentHash: `c${n}`,
        fileHash: `h${Math.floor(n / 8)}`,
        vector: vector.map((x) => x / norm),
      };
    });
  }

  it('trains the index again before its segments pile up, and fragments then compact', { timeout: 180_000 }, async () => {
    // Each fold indexes new rows as a segment of their own, and LanceDB compacts no fragments that different segments
    // cover: without a retraining, segments and fragments grew by one per fold and dense search slowed with them.
    const dir = mkdtempSync(join(tmpdir(), 'codectx-segments-'));
    const dimension = 32;
    let store = await openLanceStore({ dir, table: 't', dimension });
    await store.upsert(randomChunks(10_000, 0, dimension));
    await store.flush();
    const table = await (await lancedb.connect(dir, { readConsistencyInterval: 0 })).openTable('t');
    const segments = async () => (await table.indexStats('vector_idx'))?.numIndices ?? 0;
    expect(await segments()).toBe(1);
    let most = 0;
    let next = 10_000;
    const written: StoredChunk[] = [];
    for (let fold = 0; fold < 12; fold++) {
      // A write past the share of waiting rows that folds (2% of the table).
      written.push(...randomChunks(300, next, dimension));
      await store.upsert(written.slice(-300));
      next += 300;
      await store.flush();
      most = Math.max(most, await segments());
    }
    expect(most).toBeGreaterThan(4); // folds did add segments...
    expect(most).toBeLessThanOrEqual(9); // ...and the index was trained again once they passed the bound
    await store.close(); // waits for a retraining under way
    store = await openLanceStore({ dir, table: 't', dimension });
    await store.upsert(randomChunks(300, next, dimension));
    await store.flush();
    expect(await segments()).toBeLessThanOrEqual(3);
    expect((await table.stats()).fragmentStats.numFragments).toBeLessThanOrEqual(3);
    expect(await store.count()).toBe(next + 300);
    // Every row is still found by its own vector.
    for (const probe of [written[123]!, written[3_456]!]) expect((await store.searchDense(probe.vector, 1))[0]?.chunk.id).toBe(probe.id);
    table.close();
    await store.close();
  });

  it('folds what waits once writes stop, and trains the segments into one', { timeout: 180_000 }, async () => {
    // Under the flush's bounds, saves left fragments and rows outside the indexes, and each fold a segment of the
    // vector index: a 101k-chunk index answered in 46 ms after 21 saves and in 23-28 ms once folded.
    const dir = mkdtempSync(join(tmpdir(), 'codectx-idle-'));
    const dimension = 32;
    const store = await openLanceStore({ dir, table: 't', dimension, idleFoldMs: 500 });
    await store.upsert(randomChunks(10_000, 0, dimension));
    await store.flush();
    await store.upsert(randomChunks(300, 10_000, dimension)); // past the flush's share: a fold, a second segment
    await store.flush();
    for (let save = 0; save < 9; save++) {
      await store.upsert(randomChunks(10, 10_300 + save * 10, dimension));
      await store.flush();
    }
    const table = await (await lancedb.connect(dir, { readConsistencyInterval: 0 })).openTable('t');
    const state = async () => ({
      fragments: (await table.stats()).fragmentStats.numFragments,
      waiting: (await table.indexStats('search_text_idx'))?.numUnindexedRows,
      segments: (await table.indexStats('vector_idx'))?.numIndices,
    });
    const busy = await state();
    expect(busy.fragments).toBeGreaterThanOrEqual(9);
    expect(busy.waiting).toBe(90);
    expect(busy.segments).toBe(2);
    let idle = busy;
    for (let waited = 0; waited < 120 && !(idle.waiting === 0 && idle.segments === 1); waited++) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      idle = await state();
    }
    expect(idle.waiting).toBe(0);
    expect(idle.segments).toBe(1);
    expect(idle.fragments).toBeLessThan(busy.fragments);
    expect(await store.count()).toBe(10_390);
    table.close();
    await store.close();
  });
});
