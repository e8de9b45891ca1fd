import { mkdir, mkdtemp, readFile, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createChunker, type Chunker } from '../src/chunk/chunker.js';
import { loadConfig } from '../src/config/config.js';
import { indexChunker } from '../src/index/chunkRecords.js';
import { resolveCodebase } from '../src/index/codebase.js';
import { EmbeddingCache } from '../src/index/embeddingCache.js';
import { indexCodebase, type IndexReport } from '../src/index/indexer.js';
import { planIndex, type IndexPlan } from '../src/index/indexPlan.js';
import { localIndexState } from '../src/index/indexState.js';
import { Manifest } from '../src/index/manifest.js';
import { Runtime } from '../src/runtime/runtime.js';
import { openLanceStore } from '../src/store/lance.js';
import type { ChunkStore } from '../src/store/types.js';
import { runCli } from './helpers/cli.js';
import { FakeEmbedder } from './helpers/fakeEmbedder.js';

/** The plan an index run carries out, on the real chunker and a LanceDB index built with a fake embedder. */
describe('planIndex', () => {
  let root: string;
  let indexDir: string;
  let store: ChunkStore;
  let chunker: Chunker;
  const embedder = new FakeEmbedder();

  const index = async (ignore: readonly string[] = []): Promise<IndexReport> => {
    const cache = await EmbeddingCache.open(join(indexDir, 'embeddings'), embedder.dimension);
    try {
      return await indexCodebase({
        codebase: { root, collection: 'c_plan', indexDir },
        identity: { store: 'lancedb', collection: 'c_plan', embeddingId: embedder.id, dimension: embedder.dimension, chunkerVersion: 't' },
        chunker,
        embedder,
        store,
        state: localIndexState(indexDir),
        cache,
        maxFileBytes: 1 << 20,
        ignore,
      });
    } finally {
      await cache.close();
    }
  };
  const plan = async (ignore: readonly string[] = []): Promise<IndexPlan> =>
    planIndex(root, await Manifest.load(indexDir), { chunker, maxFileBytes: 1 << 20, ignore });
  const paths = (files: readonly { path: string }[]) => files.map((file) => file.path).sort();
  const changedPaths = (p: IndexPlan) => p.changed.map((changed) => changed.file.path).sort();
  const later = (path: string) => utimes(path, new Date(), new Date(Date.now() + 5000));

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'codectx-plan-'));
    indexDir = await mkdtemp(join(tmpdir(), 'codectx-plan-index-'));
    store = await openLanceStore({ dir: join(indexDir, 'lancedb'), table: 'c_plan', dimension: embedder.dimension });
    chunker = await createChunker({ maxTokens: 200 });
    await writeFile(join(root, 'a.ts'), 'export function alpha(x: number) {\n  return x + 1;\n}\n');
    await writeFile(join(root, 'b.py'), 'def beta(y):\n    return y * 2\n');
    await writeFile(join(root, 'c.md'), '# Notes\n\nSome words about alpha and beta.\n');
  });

  afterEach(async () => {
    await store.close();
    await rm(root, { recursive: true, force: true });
    await rm(indexDir, { recursive: true, force: true });
  });

  it('a fresh tree: every file is new, with the chunks the index then writes', async () => {
    const fresh = await plan();
    expect(changedPaths(fresh)).toEqual(['a.ts', 'b.py', 'c.md']);
    expect(fresh).toMatchObject({ deleted: [], unchanged: [], touched: [], failed: [], contentSkips: [] });
    expect(fresh.chunks).toBe(fresh.changed.reduce((sum, changed) => sum + changed.chunkCount, 0));
    const report = await index();
    expect(report.chunksWritten).toBe(fresh.chunks);
    expect(report.filesChanged).toBe(fresh.changed.length);
  });

  it('after an edit and a touch: only the edited file changes; the touched one is read and found the same', async () => {
    await index();
    await writeFile(join(root, 'a.ts'), 'export function alpha(x: number) {\n  return x + 2;\n}\n');
    await later(join(root, 'a.ts'));
    await later(join(root, 'b.py'));
    const edited = await plan();
    expect(changedPaths(edited)).toEqual(['a.ts']);
    expect(paths(edited.touched)).toEqual(['b.py']);
    expect(paths(edited.unchanged)).toEqual(['c.md']);
    expect(edited.deleted).toEqual([]);
    const report = await index();
    expect(report).toMatchObject({ filesChanged: 1, chunksWritten: edited.chunks, filesUnchanged: 2 });
  });

  it('after a delete: the file is planned for removal, and the plan writes nothing', async () => {
    await index();
    await rm(join(root, 'b.py'));
    const manifestBefore = await readFile(join(indexDir, 'manifest.json'), 'utf8');
    const deleted = await plan();
    expect(deleted.deleted).toEqual(['b.py']);
    expect(deleted.changed).toEqual([]);
    expect(paths(deleted.unchanged)).toEqual(['a.ts', 'c.md']);
    // Planning is read-only: the store and the manifest still hold the file until the plan is applied.
    expect(await readFile(join(indexDir, 'manifest.json'), 'utf8')).toBe(manifestBefore);
    expect([...(await store.listFiles()).keys()].sort()).toEqual(['a.ts', 'b.py', 'c.md']);
    expect(await index()).toMatchObject({ filesDeleted: 1, filesChanged: 0 });
    expect([...(await store.listFiles()).keys()].sort()).toEqual(['a.ts', 'c.md']);
  });

  it('after a rule change: newly ignored files leave the index, files no longer ignored join it', async () => {
    await writeFile(join(root, '.gitignore'), 'c.md\n');
    await index();
    await writeFile(join(root, '.gitignore'), '');
    const ruled = await plan(['*.py']);
    expect(ruled.deleted).toEqual(['b.py']);
    expect(changedPaths(ruled)).toEqual(['c.md']);
    expect(paths(ruled.unchanged)).toEqual(['a.ts']);
  });

  it('a file turned binary is a content skip, counted with the skips remembered from before', async () => {
    await writeFile(join(root, 'old.ts'), Buffer.from([0x00, 0x01]));
    await index();
    await writeFile(join(root, 'b.py'), Buffer.from([0x00, 0x01, 0x02]));
    const skipped = await plan();
    expect(skipped.contentSkips.map(({ file, skipped: skip }) => [file.path, skip.reason])).toEqual([['b.py', 'binary']]);
    expect(skipped.skipped.map((skip) => [skip.path, skip.reason]).sort()).toEqual([
      ['b.py', 'binary'],
      ['old.ts', 'binary'],
    ]);
    expect(skipped.changed).toEqual([]);
    expect(paths(skipped.unchanged)).toEqual(['a.ts', 'c.md']);
  });
});

/**
 * `index --dry-run` and `status` wrote the walk-and-diff again each (status counted a file only touched as
 * changed); both now report the index's plan. The built CLI, on an index built in-process with a fake embedder.
 */
describe('the dry run and status report the plan', () => {
  it('same files to index, to remove and unchanged as planIndex, for the same tree', async () => {
    const base = await mkdtemp(join(tmpdir(), 'codectx-plan-cli-'));
    const root = join(base, 'repo');
    const home = join(base, 'home');
    const previousHome = process.env.CODECTX_HOME;
    process.env.CODECTX_HOME = home;
    try {
      await mkdir(root);
      await writeFile(join(root, 'a.ts'), 'export function alpha(x: number) {\n  return x + 1;\n}\n');
      await writeFile(join(root, 'b.py'), 'def beta(y):\n    return y * 2\n');
      await writeFile(join(root, 'c.md'), '# Notes\n\nSome words about alpha and beta.\n');
      await writeFile(join(root, 'e.go'), 'package e\n\nfunc Epsilon() int { return 5 }\n');
      const codebase = await resolveCodebase(root);
      const config = loadConfig(root, {}, {});
      const runtime = new Runtime(config, new FakeEmbedder());
      try {
        await runtime.index(codebase);
      } finally {
        await runtime.close();
      }
      await writeFile(join(root, 'a.ts'), 'export function alpha(x: number) {\n  return x + 2;\n}\n');
      await utimes(join(root, 'a.ts'), new Date(), new Date(Date.now() + 5000));
      await utimes(join(root, 'b.py'), new Date(), new Date(Date.now() + 5000));
      await rm(join(root, 'c.md'));
      await writeFile(join(root, 'd.ts'), 'export const delta = 4;\n');

      const plan = await planIndex(root, await Manifest.load(codebase.indexDir), {
        chunker: await indexChunker(config),
        maxFileBytes: config.maxFileBytes,
        ignore: config.ignore,
      });
      expect(plan.changed.map((changed) => changed.file.path).sort()).toEqual(['a.ts', 'd.ts']);
      expect(plan.touched.map((file) => file.path)).toEqual(['b.py']);

      const dry = await runCli(['index', root, '--dry-run', '--json'], { home });
      expect(dry.code, dry.stderr).toBe(0);
      expect(JSON.parse(dry.stdout)).toMatchObject({
        filesScanned: plan.walk.files.length,
        filesToIndex: plan.changed.length,
        filesToDelete: plan.deleted.length,
        filesUnchanged: plan.unchanged.length + plan.touched.length,
        estimatedChunks: plan.chunks,
      });
      const status = await runCli(['status', root, '--json'], { home });
      expect(status.code, status.stderr).toBe(0);
      const shown = JSON.parse(status.stdout) as { staleFiles: string[]; removedFiles: string[] };
      expect(shown.staleFiles.sort()).toEqual(['a.ts', 'd.ts']);
      expect(shown.removedFiles).toEqual(plan.deleted);
      expect(plan.deleted).toEqual(['c.md']);
    } finally {
      if (previousHome === undefined) delete process.env.CODECTX_HOME;
      else process.env.CODECTX_HOME = previousHome;
      await rm(base, { recursive: true, force: true });
    }
  });
});

// The dry run and status counted skips by reason only ("skipped: 2 minified, 1 binary"): no way to find the files.
describe('the dry run names every skip', () => {
  it('with its reason, in text and in --json, file names escaped', async () => {
    const base = await mkdtemp(join(tmpdir(), 'codectx-plan-skips-'));
    const root = join(base, 'repo');
    try {
      await mkdir(join(root, 'coverage'), { recursive: true });
      await writeFile(join(root, 'a.py'), 'def alpha():\n    return 1\n');
      await writeFile(join(root, 'blob\n.py'), Buffer.from([0x61, 0x00, 0x62]));
      await writeFile(join(root, 'bundle.js'), `var a=${'[1,2,3],'.repeat(2000)}0;\n`);
      await writeFile(join(root, 'coverage', 'report.py'), 'x = 1\n');
      const text = await runCli(['index', root, '--dry-run'], { home: join(base, 'home') });
      expect(text.code, text.stderr).toBe(0);
      expect(text.stdout).toContain('files to index: 1 of 1 source files (0 unchanged); 3 skipped\n');
      expect(text.stdout).toContain(
        'skipped: 1 ignored-by-default, 1 binary, 1 minified\n' +
          '  blob\\n.py: binary\n' +
          '  bundle.js: minified\n' +
          '  coverage/: ignored-by-default (a built-in ignore rule; a `!` rule in .gitignore or .codectxignore brings it back)\n',
      );
      const json = await runCli(['index', root, '--dry-run', '--json'], { home: join(base, 'home') });
      expect((JSON.parse(json.stdout) as { skipped: unknown[] }).skipped).toEqual([
        { path: 'blob\n.py', reason: 'binary' },
        { path: 'bundle.js', reason: 'minified' },
        expect.objectContaining({ path: 'coverage/', reason: 'ignored-by-default' }),
      ]);
    } finally {
      await rm(base, { recursive: true, force: true });
    }
  });
});

// "files to index: 9 of 13" next to 8 skipped added up to nothing (the total held content skips, not the walk's);
// then "9 (4 unchanged, 8 skipped)" read as if the skips were among the 9.
describe('the dry run counts add up', () => {
  it('to index of the files the index will hold, unchanged among them, every skip named after them', async () => {
    const base = await mkdtemp(join(tmpdir(), 'codectx-plan-counts-'));
    const root = join(base, 'repo');
    const home = join(base, 'home');
    try {
      await mkdir(root);
      await writeFile(join(root, 'a.py'), 'def alpha():\n    return 1\n');
      await writeFile(join(root, 'b.py'), 'def beta():\n    return 2\n');
      expect((await runCli(['index', root, '--quiet'], { home })).code).toBe(0);
      await writeFile(join(root, 'c.py'), 'def gamma():\n    return 3\n');
      await writeFile(join(root, 'blob.py'), Buffer.from([0x61, 0x00, 0x62]));
      await writeFile(join(root, 'big.py'), `x = 1\n${'#'.repeat(2 * 1024 * 1024)}\n`);
      await symlink('loop.py', join(root, 'loop.py'));
      const text = await runCli(['index', root, '--dry-run'], { home });
      expect(text.code, text.stderr).toBe(0);
      expect(text.stdout).toContain('files to index: 1 of 3 source files (2 unchanged); 3 skipped\n');
      expect(text.stdout).toContain('skipped: 1 symlink-loop, 1 too-large, 1 binary\n');
      expect(text.stdout.split('\n').filter((line) => /^ {2}\S+\.py: /.test(line))).toHaveLength(3);
    } finally {
      await rm(base, { recursive: true, force: true });
    }
  });
});
