import { existsSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CodectxService } from '../src/app/service.js';
import { loadConfig } from '../src/config/config.js';
import type { Codebase } from '../src/index/codebase.js';
import { acquireLock } from '../src/index/lock.js';
import { metaPath, readMeta } from '../src/index/meta.js';
import { Runtime } from '../src/runtime/runtime.js';
import { FakeEmbedder } from './helpers/fakeEmbedder.js';
import { twoFileCodebase } from './helpers/twoFiles.js';

/** An index whose own files were damaged or lost, on LanceDB with a fake embedder: the commands that say they repair it do. */
describe('repairing an index', () => {
  let root: string;
  let codebase: Codebase;
  let dispose: () => Promise<void>;
  let runtime: Runtime;
  const newRuntime = () => new Runtime(loadConfig(root), new FakeEmbedder());
  const search = () => runtime.search(codebase, 'alpha', { limit: 5 });

  beforeEach(async () => {
    ({ root, codebase, dispose } = await twoFileCodebase('repair'));
    runtime = newRuntime();
    await runtime.index(codebase);
  });

  afterEach(async () => {
    await runtime.close();
    await dispose();
  });

  // Every command, `index --force` and `clear` too, failed with "damaged; run `codectx index --force`".
  it('damaged metadata: `index --force` rebuilds the index, and `clear` removes it', async () => {
    const damaged = 'is damaged; run `codectx index --force` to rebuild';
    // JSON that is not metadata said "the index of undefined was built with another setup (store undefined → lancedb)".
    for (const text of ['{}', '[]', 'null', '{"root": 5}']) {
      await writeFile(metaPath(codebase.indexDir), text);
      await expect(search(), text).rejects.toThrow(damaged);
    }
    await writeFile(metaPath(codebase.indexDir), '{garbage');
    await expect(search()).rejects.toThrow(damaged);
    await expect(runtime.index(codebase)).rejects.toThrow(damaged);

    const rebuilt = await runtime.index(codebase, { force: true });
    expect(rebuilt).toMatchObject({ filesChanged: 2, totalFiles: 2 });
    expect((await search()).map((result) => result.file)).toContain('a.ts');

    await writeFile(metaPath(codebase.indexDir), '{garbage');
    const service = new CodectxService();
    try {
      expect(await service.clear(root)).toEqual({ root, cleared: true, clearedChunks: undefined, unwatched: false, store: 'lancedb' });
    } finally {
      await service.close();
    }
    expect(existsSync(codebase.indexDir)).toBe(false);
  });

  // Search said "no results", status "2 chunks" and `index` "up to date (nothing changed)".
  it('a deleted LanceDB folder: search and status say so, and `index` fills it again', async () => {
    // A healthy index with nothing matching still answers with no results.
    expect(await runtime.search(codebase, 'alpha', { limit: 5, filter: { pathPrefix: 'nowhere/' } })).toEqual([]);
    await runtime.close();
    await rm(join(codebase.indexDir, 'lancedb'), { recursive: true, force: true });
    runtime = newRuntime();

    const lost = `the index of ${root} has lost its chunks (its LanceDB table is gone or empty); run \`codectx index\` to rebuild it`;
    await expect(search()).rejects.toThrow(lost);
    await expect(runtime.status(codebase)).rejects.toThrow(lost);

    const repaired = await runtime.index(codebase);
    expect(repaired).toMatchObject({ filesChanged: 2, totalFiles: 2 });
    expect((await search()).map((result) => result.file)).toContain('a.ts');
    expect((await runtime.status(codebase))?.meta).toMatchObject({ files: 2, chunks: repaired.totalChunks });
  });

  // An interrupted `index --force` left an empty index, and every search, the hook's and MCP's too, said "no results".
  it('an interrupted `index --force`: search says the build stopped, and a plain `index` finishes it', async () => {
    const controller = new AbortController();
    const stopAtFirstEmbedding = (progress: { phase: string }) => progress.phase === 'embed' && controller.abort();
    await expect(runtime.index(codebase, { force: true, signal: controller.signal, onProgress: stopAtFirstEmbedding })).rejects.toThrow();
    expect(await readMeta(codebase.indexDir)).toMatchObject({ complete: false, fromScratch: true, files: 0 });

    const stopped = `the index of ${root} was being built when it stopped (it holds 0 files so far); run \`codectx index ${root}\` to finish it`;
    await expect(search()).rejects.toThrow(stopped);
    // While a run holds the lock the build goes on: it is searched as it stands, like any run in progress.
    const release = await acquireLock(join(codebase.indexDir, 'index.lock'), 'test');
    try {
      expect(await search()).toEqual([]);
    } finally {
      await release();
    }

    const finished = await runtime.index(codebase);
    expect(finished).toMatchObject({ filesChanged: 2, totalFiles: 2 });
    expect((await search()).map((result) => result.file)).toContain('a.ts');
    expect(await readMeta(codebase.indexDir)).not.toHaveProperty('fromScratch');
  });

  it('a first index stopped part way is refused the same way, and an incremental run stopped part way is not', async () => {
    await runtime.index(codebase, { force: true });
    await writeFile(join(root, 'b.py'), 'def beta(y):\n    return y * 3\n');
    const controller = new AbortController();
    const stopAtFirstEmbedding = (progress: { phase: string }) => progress.phase === 'embed' && controller.abort();
    await expect(runtime.index(codebase, { signal: controller.signal, onProgress: stopAtFirstEmbedding })).rejects.toThrow();
    expect((await search()).map((result) => result.file)).toContain('a.ts');

    await runtime.clear(codebase, await readMeta(codebase.indexDir));
    await expect(runtime.index(codebase, { signal: controller.signal })).rejects.toThrow();
    await expect(search()).rejects.toThrow('was being built when it stopped');
  });
});
