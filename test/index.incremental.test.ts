import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createChunker } from '../src/chunk/chunker.js';
import { planIndex } from '../src/index/dryRun.js';
import { EmbeddingCache } from '../src/index/embeddingCache.js';
import { indexCodebase, type IndexProgress, type IndexReport } from '../src/index/indexer.js';
import { localIndexState } from '../src/index/indexState.js';
import { Manifest } from '../src/index/manifest.js';
import { diffTree } from '../src/index/treeDiff.js';
import { openLanceStore } from '../src/store/lance.js';
import type { ChunkStore } from '../src/store/types.js';
import { loadConfig } from '../src/config/config.js';
import { FakeEmbedder } from './helpers/fakeEmbedder.js';

/** The indexer's incremental paths on a real LanceDB store and the real chunker, with a fake embedder. */
describe('incremental indexing', () => {
  let root: string;
  let indexDir: string;
  let store: ChunkStore;
  let embedder: FakeEmbedder;

  const codebase = () => ({ root, collection: 'c_test', indexDir });
  const run = async (onProgress?: (progress: IndexProgress) => void): Promise<IndexReport> => {
    const cache = await EmbeddingCache.open(join(indexDir, 'embeddings.bin'), embedder.dimension);
    try {
      return await indexCodebase({
        codebase: codebase(),
        identity: { store: 'lancedb', collection: 'c_test', embeddingId: embedder.id, dimension: embedder.dimension, chunkerVersion: 't' },
        chunker: await createChunker({ maxTokens: 200 }),
        embedder,
        store,
        state: localIndexState(indexDir),
        cache,
        maxFileBytes: 1 << 20,
        ignore: [],
      }, { onProgress });
    } finally {
      await cache.close();
    }
  };
  const diff = async () => diffTree(root, await Manifest.load(indexDir), { maxFileBytes: 1 << 20, ignore: [] });

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'codectx-incr-'));
    indexDir = await mkdtemp(join(tmpdir(), 'codectx-incr-index-'));
    store = await openLanceStore({ dir: join(indexDir, 'lancedb'), table: 'c_test', dimension: 16 });
    embedder = new FakeEmbedder();
    await writeFile(join(root, 'a.ts'), 'export function alpha(x: number) {\n  return x + 1;\n}\n');
    await writeFile(join(root, 'b.py'), 'def beta(y):\n    return y * 2\n');
  });

  afterEach(async () => {
    await store.close();
    await rm(root, { recursive: true, force: true });
    await rm(indexDir, { recursive: true, force: true });
  });

  it('embeds only what changed, and forgets deleted files', async () => {
    const first = await run();
    expect(first.filesChanged).toBe(2);
    const embeddedFirst = embedder.embeddedTexts.length;
    expect(embeddedFirst).toBeGreaterThan(0);

    const second = await run();
    expect(second).toMatchObject({ filesChanged: 0, filesUnchanged: 2, embedded: 0 });
    expect(embedder.embeddedTexts.length).toBe(embeddedFirst);

    await writeFile(join(root, 'a.ts'), 'export function alpha(x: number) {\n  return x + 2;\n}\n');
    await rm(join(root, 'b.py'));
    const third = await run();
    expect(third).toMatchObject({ filesChanged: 1, filesDeleted: 1, filesUnchanged: 0 });
    expect(embedder.embeddedTexts.slice(embeddedFirst).every((text) => text.includes('x + 2'))).toBe(true);
    expect([...(await store.listFiles()).keys()]).toEqual(['a.ts']);
  });

  it('remembers a file skipped for its content: not read again, not stale, and indexed once it changes', async () => {
    const binary = join(root, 'blob.ts');
    await writeFile(binary, Buffer.from([0x63, 0x6f, 0x6e, 0x00, 0x73, 0x74]));
    await writeFile(join(root, 'latin1.py'), Buffer.from('name = "caf\xe9"\n', 'latin1'));
    const first = await run();
    expect(first.skipped.map((s) => [s.path, s.reason]).sort()).toEqual([['blob.ts', 'binary'], ['latin1.py', 'not-utf8']]);

    // Still reported as skipped with its reason, but neither read nor listed as changed.
    const second = await run();
    expect(second.skipped.map((s) => s.reason).sort()).toEqual(['binary', 'not-utf8']);
    expect(second.filesUnchanged).toBe(2);
    const now = await diff();
    expect(now.toRead).toEqual([]);
    expect(now.stillSkipped.map((s) => s.path).sort()).toEqual(['blob.ts', 'latin1.py']);
    const plan = await planIndex(codebase(), loadConfig(root));
    expect(plan).toMatchObject({ filesToIndex: 0, skippedByReason: { binary: 1, 'not-utf8': 1 } });

    await writeFile(binary, 'export const gamma = 3;\n');
    await utimes(binary, new Date(), new Date(Date.now() + 5000));
    const third = await run();
    expect(third.filesChanged).toBe(1);
    expect([...(await store.listFiles()).keys()].sort()).toEqual(['a.ts', 'b.py', 'blob.ts']);
    expect((await diff()).toRead).toEqual([]);
  });

  // The daemon's status showed 0 files and 0 chunks for as long as a first index ran.
  it('reports what the index holds as each group of files lands', async () => {
    for (let i = 0; i < 700; i++) await writeFile(join(root, `m${i}.py`), `def handler_${i}(event):\n    return event.get("k${i}")\n`);
    const seen: Array<[number, number]> = [];
    const report = await run((progress) => seen.push([progress.indexFiles, progress.indexChunks]));
    expect(report.totalFiles).toBe(702);
    expect(seen[0]).toEqual([0, 0]);
    expect(seen.at(-1)).toEqual([702, report.totalChunks]);
    const files = seen.map(([count]) => count);
    expect(files.some((count) => count > 0 && count < 702)).toBe(true);
    expect(files.every((count, i) => i === 0 || count >= files[i - 1]!)).toBe(true);

    await rm(join(root, 'm0.py'));
    const again: Array<[number, number]> = [];
    await run((progress) => again.push([progress.indexFiles, progress.indexChunks]));
    expect(again.at(-1)![0]).toBe(701);
  });

  it('a file that turns binary loses its chunks', async () => {
    await run();
    await writeFile(join(root, 'b.py'), Buffer.from([0x00, 0x01, 0x02]));
    const report = await run();
    expect(report.skipped.map((s) => s.reason)).toEqual(['binary']);
    expect([...(await store.listFiles()).keys()]).toEqual(['a.ts']);
    expect((await diff()).toRead).toEqual([]);
  });
});
