import { rmSync, writeFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rename, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CHUNKER_VERSION, createChunker } from '../src/chunk/chunker.js';
import { dryRunIndex } from '../src/index/dryRun.js';
import { EmbeddingCache } from '../src/index/embeddingCache.js';
import { indexCodebase, type IndexOptions, type IndexProgress, type IndexReport } from '../src/index/indexer.js';
import { localIndexState } from '../src/index/indexState.js';
import { Manifest } from '../src/index/manifest.js';
import { diffTree } from '../src/index/treeDiff.js';
import { openLanceStore } from '../src/store/lance.js';
import type { ChunkStore } from '../src/store/types.js';
import { loadConfig } from '../src/config/config.js';
import { FakeEmbedder } from './helpers/fakeEmbedder.js';
import { writeTwoFiles } from './helpers/twoFiles.js';

/** The indexer's incremental paths on a real LanceDB store and the real chunker, with a fake embedder. */
describe('incremental indexing', () => {
  let root: string;
  let indexDir: string;
  let store: ChunkStore;
  let embedder: FakeEmbedder;

  const codebase = () => ({ root, collection: 'c_test', indexDir });
  const run = async (options: IndexOptions = {}, keepChunkChars?: number): Promise<IndexReport> => {
    const cache = await EmbeddingCache.open(join(indexDir, 'embeddings'), embedder.dimension);
    try {
      return await indexCodebase({
        codebase: codebase(),
        identity: { store: 'lancedb', collection: 'c_test', embeddingId: embedder.id, dimension: embedder.dimension, chunkerVersion: CHUNKER_VERSION },
        chunker: await createChunker({ maxTokens: 200 }),
        embedder,
        store,
        state: localIndexState(indexDir),
        cache,
        maxFileBytes: 1 << 20,
        ignore: [],
        keepChunkChars,
      }, options);
    } finally {
      await cache.close();
    }
  };
  const runPaths = (paths: string[]) => run({ paths });
  const diff = async () => diffTree(root, await Manifest.load(indexDir), { maxFileBytes: 1 << 20, ignore: [] });

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'codectx-incr-'));
    indexDir = await mkdtemp(join(tmpdir(), 'codectx-incr-index-'));
    store = await openLanceStore({ dir: join(indexDir, 'lancedb'), table: 'c_test', dimension: 16 });
    embedder = new FakeEmbedder();
    await writeTwoFiles(root);
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

  it('plans nothing for a root that became a link, and keeps its index', async () => {
    // `mv app app-old; ln -s app-b app` on a registered root: every file was refused as outside the root and the
    // daemon's next run emptied the index.
    await run();
    const count = await store.count();
    expect(count).toBeGreaterThan(0);
    const elsewhere = await mkdtemp(join(tmpdir(), 'codectx-incr-other-'));
    await writeTwoFiles(elsewhere);
    await rename(root, `${root}-old`);
    await symlink(elsewhere, root);
    await expect(run()).rejects.toThrow(/is now a link to .*codectx-incr-other-.*; codectx indexes a folder at its real path/);
    expect(await store.count()).toBe(count);
    await rm(root);
    await rename(`${root}-old`, root);
    await rm(elsewhere, { recursive: true, force: true });
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
    const plan = await dryRunIndex(codebase(), loadConfig(root));
    expect(plan).toMatchObject({ filesToIndex: 0, skippedByReason: { binary: 1, 'not-utf8': 1 } });
    // A rebuild reads and embeds every file again (`--force --dry-run` planned 0 files).
    const rebuild = await dryRunIndex(codebase(), loadConfig(root), { force: true });
    expect(rebuild).toMatchObject({ filesToIndex: 2, filesUnchanged: 0, skippedByReason: { binary: 1, 'not-utf8': 1 } });
    expect(rebuild.estimatedChunks).toBeGreaterThan(0);

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
    const report = await run({ onProgress: (progress) => seen.push([progress.indexFiles, progress.indexChunks]) });
    expect(report.totalFiles).toBe(702);
    expect(seen[0]).toEqual([0, 0]);
    expect(seen.at(-1)).toEqual([702, report.totalChunks]);
    const files = seen.map(([count]) => count);
    expect(files.some((count) => count > 0 && count < 702)).toBe(true);
    expect(files.every((count, i) => i === 0 || count >= files[i - 1]!)).toBe(true);

    await rm(join(root, 'm0.py'));
    const again: Array<[number, number]> = [];
    await run({ onProgress: (progress) => again.push([progress.indexFiles, progress.indexChunks]) });
    expect(again.at(-1)![0]).toBe(701);
  });

  it('hands the embedder calls as big as it asks for, so a remote one can keep several requests in flight', async () => {
    for (let i = 0; i < 300; i++) await writeFile(join(root, `m${i}.py`), `def handler_${i}(event):\n    return event.get("k${i}")\n`);
    embedder.textsPerCall = 100;
    await run();
    expect(Math.max(...embedder.callSizes)).toBe(100);
    expect(embedder.embeddedTexts).toHaveLength(302);
  });

  // Each group's save rewrote the whole manifest.json: at 1M files, ~170 MB a group.
  it('records later groups and runs by appending to the manifest log, never rewriting the manifest', async () => {
    for (let i = 0; i < 30; i++) await writeFile(join(root, `m${i}.py`), `def handler_${i}(event):\n    return event.get("k${i}")\n`);
    await run();
    const base = join(indexDir, 'manifest.json');
    const before = await stat(base);
    const logBefore = (await stat(join(indexDir, 'manifest.log'))).size;

    for (let i = 30; i < 730; i++) await writeFile(join(root, `m${i}.py`), `def handler_${i}(event):\n    return event.get("k${i}")\n`);
    await rm(join(root, 'm0.py'));
    const report = await run();
    expect(report).toMatchObject({ filesChanged: 700, filesDeleted: 1, totalFiles: 731 });
    const after = await stat(base);
    expect([after.ino, after.size, after.mtimeMs]).toEqual([before.ino, before.size, before.mtimeMs]);
    expect((await stat(join(indexDir, 'manifest.log'))).size).toBeGreaterThan(logBefore);
    const manifest = await Manifest.load(indexDir);
    expect(manifest.files.size).toBe(731);
    expect(manifest.files.has('m0.py')).toBe(false);
    expect((await diff()).toRead).toEqual([]);
  });

  // A run killed between writing chunks and recording them must not leave orphans or duplicates behind.
  it('a run killed after a store write is repaired by the next: no orphan chunks, nothing lost', async () => {
    for (let i = 0; i < 40; i++) await writeFile(join(root, `m${i}.py`), `def handler_${i}(event):\n    return event.get("k${i}")\n`);
    const upsert = store.upsert.bind(store);
    store.upsert = async (chunks) => {
      await upsert(chunks);
      throw new Error('killed after the write, before the manifest');
    };
    await expect(run()).rejects.toThrow('killed');
    store.upsert = upsert;
    // Edited before the next run: its old chunks (never recorded) would outlive it as orphans.
    await writeFile(join(root, 'm0.py'), 'def handler_zero(event):\n    return None\n');

    const repaired = await run();
    expect(repaired.totalFiles).toBe(42);
    const stored = await store.listFiles();
    const manifest = await Manifest.load(indexDir);
    expect([...stored.keys()].sort()).toEqual([...manifest.files.keys()].sort());
    for (const [path, hash] of stored) expect(manifest.files.get(path)?.hash).toBe(hash);
    expect(await store.count()).toBe(repaired.totalChunks);
  });

  // The daemon walked the whole tree for every saved file; it now passes the paths a batch touched.
  it('a run over some paths sees what a whole walk would see about them, and nothing else', async () => {
    await mkdir(join(root, 'pkg', 'deep'), { recursive: true });
    await writeFile(join(root, 'pkg', 'deep', 'c.ts'), 'export const c = 1;\n');
    await writeFile(join(root, 'pkg', 'd.ts'), 'export const d = 1;\n');
    await run();
    await writeFile(join(root, '.gitignore'), 'ignored/\n');
    await mkdir(join(root, 'ignored'));
    await writeFile(join(root, 'ignored', 'e.ts'), 'export const e = 1;\n');
    await run();

    // Untouched by the batch, so not looked at: a.ts changed on disk but was not named.
    await writeFile(join(root, 'a.ts'), 'export function alpha(x: number) {\n  return x + 9;\n}\n');
    await rm(join(root, 'pkg'), { recursive: true });
    await writeFile(join(root, 'ignored', 'e.ts'), 'export const e = 2;\n');
    await writeFile(join(root, 'new.py'), 'def fresh():\n    return 1\n');
    const partial = await runPaths(['pkg', 'ignored/e.ts', 'new.py', 'gone.ts']);
    expect(partial).toMatchObject({ filesChanged: 1, filesDeleted: 2 });
    expect([...(await store.listFiles()).keys()].sort()).toEqual(['a.ts', 'b.py', 'new.py']);
    expect((await diff()).toRead.map((file) => file.path)).toEqual(['a.ts']);
  });

  // The bar went from 523/523 [100%] to 619/1037 [58%]: totals grew as files were read a group ahead of embedding,
  // and files showed 0/175 until a whole group of 512 chunks was stored.
  it('counts every change first, then moves forward only, against totals that hold', async () => {
    for (let i = 0; i < 700; i++) await writeFile(join(root, `m${i}.py`), `def handler_${i}(event):\n    return event.get("k${i}")\n`);
    const seen: IndexProgress[] = [];
    const report = await run({ onProgress: (progress) => seen.push(progress) });
    const counting = seen.filter((p) => p.phase === 'count');
    expect(counting.map((p) => p.filesCounted)).toEqual(Array.from({ length: 702 }, (_, i) => i + 1));
    expect(counting.every((p) => p.filesToCount === 702)).toBe(true);
    const embedding = seen.filter((p) => p.phase !== 'count');
    expect(embedding.every((p) => p.filesTotal === 702 && p.chunksTotal === report.chunksWritten)).toBe(true);
    for (const [i, p] of embedding.entries()) {
      expect(p.chunksDone).toBeLessThanOrEqual(p.chunksTotal);
      if (i > 0) expect(p.chunksDone).toBeGreaterThanOrEqual(embedding[i - 1]!.chunksDone);
      if (i > 0) expect(p.filesDone).toBeGreaterThanOrEqual(embedding[i - 1]!.filesDone);
    }
    expect(embedding.at(-1)).toMatchObject({ phase: 'done', filesDone: 702, chunksDone: report.chunksWritten });
    // Files count as they finish embedding, long before their group is stored.
    expect(embedding.some((p) => p.filesDone > 0 && p.indexFiles === 0)).toBe(true);

    const plan = await dryRunIndex(codebase(), loadConfig(root));
    expect(plan).toMatchObject({ filesToIndex: 0, estimatedChunks: 0 });
  });

  // Chunks beyond the memory budget are cut again when embedded: a file edited or removed since it was counted
  // is taken as it is then, and the totals follow it.
  it('cuts files again when their chunks were not kept, as they are by then', async () => {
    await writeFile(join(root, 'c.py'), 'def gamma(z):\n    return z - 3\n');
    const seen: IndexProgress[] = [];
    const report = await run({ onProgress: (progress) => {
      seen.push(progress);
      if (progress.phase === 'count' && progress.filesCounted === 3) {
        writeFileSync(join(root, 'b.py'), 'def beta(y):\n    return y * 2\n\n\nclass Delta:\n    def omega(self):\n        return "omega"\n');
        rmSync(join(root, 'c.py'));
      }
    } }, 0);
    expect(report.filesChanged).toBe(2);
    expect(report.skipped.map((s) => [s.path, s.reason])).toEqual([['c.py', 'unreadable']]);
    const last = seen.at(-1)!;
    expect(last).toMatchObject({ phase: 'done', filesTotal: 2, filesDone: 2, chunksDone: report.chunksWritten, chunksTotal: report.chunksWritten });
    const files = await store.listFiles();
    expect([...files.keys()].sort()).toEqual(['a.ts', 'b.py']);
    expect((await diff()).toRead.map((file) => file.path)).toEqual(['b.py']); // its mtime moved after the walk: checked again next run, by hash
    expect((await run()).filesChanged).toBe(0);
  });

  it('the dry run counts what the index then writes', async () => {
    for (let i = 0; i < 20; i++) await writeFile(join(root, `m${i}.py`), `def handler_${i}(event):\n    return event.get("k${i}")\n`);
    const plan = await dryRunIndex(codebase(), loadConfig(root));
    const report = await run();
    expect(plan).toMatchObject({ filesToIndex: report.filesChanged, estimatedChunks: report.chunksWritten });
    expect(plan.estimatedTokens).toBeGreaterThan(0);
  });

  it('a file that turns binary loses its chunks, and the run counts it as dropped', async () => {
    await run();
    await writeFile(join(root, 'b.py'), Buffer.from([0x00, 0x01, 0x02]));
    const report = await run();
    expect(report.skipped.map((s) => s.reason)).toEqual(['binary']);
    // It said "up to date … (nothing changed)" when a file that turned unreadable lost its chunks; then it counted
    // it as changed, and one grown too large as deleted.
    expect(report).toMatchObject({ filesChanged: 0, filesDeleted: 0, filesDropped: 1, filesUnchanged: 1, totalFiles: 1 });
    expect([...(await store.listFiles()).keys()]).toEqual(['a.ts']);
    expect((await diff()).toRead).toEqual([]);
    expect((await run()).filesDropped).toBe(0);
  });

  it('a file grown past the size limit is dropped, not deleted; one turned binary after it was counted too', async () => {
    await writeFile(join(root, 'c.py'), 'def gamma():\n    return 3\n');
    await run();
    await writeFile(join(root, 'a.ts'), `export const big = "${'x'.repeat(2 << 20)}";\n`);
    await writeFile(join(root, 'b.py'), 'def beta(y):\n    return y * 3\n');
    // b.py is counted as changed, then turns binary before it is cut again for embedding (no chunk text kept).
    const report = await run({ onProgress: (progress) => {
      if (progress.phase === 'embed' && progress.filesDone === 0) writeFileSync(join(root, 'b.py'), Buffer.from([0x00, 0x01]));
    } }, 0);
    expect(report).toMatchObject({ filesChanged: 0, filesDeleted: 0, filesDropped: 2, filesUnchanged: 1, totalFiles: 1 });
    expect(report.skipped.map((s) => [s.path, s.reason]).sort()).toEqual([['a.ts', 'too-large'], ['b.py', 'binary']]);
    expect([...(await store.listFiles()).keys()]).toEqual(['c.py']);
  });

  it('a file skipped for its content, then grown past the size limit, leaves the manifest as a walk\'s skip does', async () => {
    await writeFile(join(root, 'blob.ts'), Buffer.from([0x63, 0x00, 0x01]));
    await run();
    expect((await Manifest.load(indexDir)).files.get('blob.ts')?.skipped).toBe('binary');
    await writeFile(join(root, 'blob.ts'), Buffer.alloc(2 << 20));
    // Not indexed before, so neither deleted nor dropped now; only its remembered skip goes.
    expect(await run()).toMatchObject({ filesDeleted: 0, filesDropped: 0 });
    expect((await Manifest.load(indexDir)).files.has('blob.ts')).toBe(false);
  });

  // status kept the skip counts of the last whole walk: a file the daemon found binary was not counted until then.
  it('a run over some paths counts its content skips in the metadata, and keeps the walk\'s', async () => {
    await writeFile(join(root, 'huge.ts'), 'x'.repeat(2 << 20));
    await run();
    const skippedNow = async () => (await localIndexState(indexDir).readMeta())!.skipped;
    expect(await skippedNow()).toEqual({ 'too-large': 1 });
    await writeFile(join(root, 'b.py'), Buffer.from([0x00, 0x01, 0x02]));
    await runPaths(['b.py']);
    expect(await skippedNow()).toEqual({ 'too-large': 1, binary: 1 });
    await writeFile(join(root, 'b.py'), 'def beta(y):\n    return y * 3\n');
    await runPaths(['b.py']);
    expect(await skippedNow()).toEqual({ 'too-large': 1 });
  });

  // chmod 000, index, chmod 644, index said "nothing changed": the skip was remembered under a size and mtime
  // that a chmod does not move. The state such a run leaves is set up here, as root reads every file anyway.
  it('a file skipped as unreadable is read again on every run', async () => {
    await run();
    const info = await stat(join(root, 'b.py'));
    const manifest = await Manifest.load(indexDir);
    manifest.files.set('b.py', { hash: '', size: info.size, mtimeMs: info.mtimeMs, chunks: 0, skipped: 'unreadable' });
    await manifest.save();
    await store.deleteFiles(['b.py']);

    expect((await diff()).toRead.map((file) => file.path)).toEqual(['b.py']);
    const report = await run();
    expect(report.filesChanged).toBe(1);
    expect([...(await store.listFiles()).keys()].sort()).toEqual(['a.ts', 'b.py']);
    expect((await diff()).toRead).toEqual([]);
  });

  it.skipIf(process.getuid?.() === 0)('indexes a file once it is readable again (permissions, as a user sees them)', async () => {
    await chmod(join(root, 'b.py'), 0o000);
    const first = await run();
    expect(first.skipped.map((s) => [s.path, s.reason])).toEqual([['b.py', 'unreadable']]);
    await chmod(join(root, 'b.py'), 0o644);
    expect((await run()).filesChanged).toBe(1);
    expect([...(await store.listFiles()).keys()].sort()).toEqual(['a.ts', 'b.py']);
  });

  // Status showed "0 files, 0 chunks (last run interrupted)" while the index held 141 files and search used them.
  it('a run cut short leaves the metadata counting what the index holds', async () => {
    await run();
    for (let i = 0; i < 700; i++) await writeFile(join(root, `m${i}.py`), `def handler_${i}(event):\n    return event.get("k${i}")\n`);
    const held = async () => {
      const meta = await localIndexState(indexDir).readMeta();
      const manifest = await Manifest.load(indexDir);
      return { meta: [meta?.complete, meta?.files, meta?.chunks], index: [false, manifest.indexedFileCount, manifest.chunkCount] };
    };

    // Stopped while counting: what the last run left is still there.
    const counting = new AbortController();
    await expect(run({ signal: counting.signal, onProgress: (p) => p.phase === 'count' && counting.abort() })).rejects.toThrow();
    const beforeAnyGroup = await held();
    expect(beforeAnyGroup.meta).toEqual(beforeAnyGroup.index);
    expect(beforeAnyGroup.meta[1]).toBe(2);

    // Stopped once a group is stored: that group counts.
    const embedding = new AbortController();
    await expect(run({ signal: embedding.signal, onProgress: (p) => p.indexFiles > 2 && embedding.abort() })).rejects.toThrow();
    const afterAGroup = await held();
    expect(afterAGroup.meta).toEqual(afterAGroup.index);
    expect(afterAGroup.meta[1]).toBeGreaterThan(2);
    expect(afterAGroup.meta[1]).toBeLessThan(702);
    expect(await store.count()).toBe(afterAGroup.meta[2]);
  });

  // The LanceDB folder deleted: search said "no results" and `index` said "up to date (nothing changed)".
  it('a store that lost every chunk is filled again by the next run', async () => {
    await run();
    await store.deleteFiles(['a.ts', 'b.py']);
    const report = await run();
    expect(report).toMatchObject({ filesChanged: 2, totalFiles: 2 });
    expect([...(await store.listFiles()).keys()].sort()).toEqual(['a.ts', 'b.py']);
    expect(await store.count()).toBe(report.totalChunks);
  });
});
