import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChunker } from '../src/chunk/chunker.js';
import { QueryVectors, searchIndex } from '../src/search/searcher.js';
import { openLanceStore } from '../src/store/lance.js';
import type { ChunkStore } from '../src/store/types.js';
import { FakeEmbedder } from './helpers/fakeEmbedder.js';

/** A line of `count` distinct made-up words: too long for the chunk budget, so a chunk of its own. */
const longLine = (lead: string, count: number) => `${lead} = '${Array.from({ length: count }, (_, i) => `w${(i * 7919) % 100_003}`).join(' ')}'`;

// Two functions a query finds, and between them two long lines it does not: chunks 1-5, 6-6, 7-7 and 8-10.
const SOURCE = [
  'def alpha_connect(host, port):',
  '    # alpha connect to host port',
  '    sock = open_socket(host, port)',
  '    sock.settimeout(30)',
  '    return sock',
  longLine('JWT', 300),
  longLine('DSN', 300),
  'def alpha_close(sock):',
  '    # alpha connect close host port',
  '    sock.close()',
].join('\n');

describe('a search result joined from neighbouring chunks', () => {
  const dir = mkdtempSync(join(tmpdir(), 'codectx-gaps-'));
  const embedder = new FakeEmbedder();
  const query = 'alpha connect host port';
  let store: ChunkStore;

  beforeAll(async () => {
    const chunks = await (await createChunker({ maxTokens: 400 })).chunk('c.py', SOURCE);
    expect(chunks.map((c) => [c.startLine, c.endLine])).toEqual([[1, 5], [6, 6], [7, 7], [8, 10]]);
    // The functions point where the query does, the long lines away from it: the ranking keeps only the functions.
    const [toward] = await embedder.embed([query]);
    const away = toward!.map((value) => -value);
    store = await openLanceStore({ dir, table: 'gaps', dimension: embedder.dimension });
    await store.upsert(
      chunks.map((c, i) => ({ ...c, id: `c${i}`, contentHash: `h${i}`, fileHash: 'f', vector: c.content.includes('alpha') ? toward! : away })),
    );
  });

  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows the real lines between its chunks, not blank ones', async () => {
    const results = await searchIndex(store, new QueryVectors(embedder), query, { limit: 5 });
    expect(results.map((r) => [r.startLine, r.endLine])).toEqual([[1, 10]]);
    expect(results[0]!.content).toBe(SOURCE);
  });
});
