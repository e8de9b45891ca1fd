import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cp, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createChunker } from '../src/chunk/chunker.js';
import { EmbeddingCache, embeddingCacheDir } from '../src/index/embeddingCache.js';
import { folderBytes } from '../src/index/folderBytes.js';
import { localIndexState } from '../src/index/indexState.js';
import { indexCodebase, type IndexReport } from '../src/index/indexer.js';
import { openLanceStore } from '../src/store/lance.js';
import { FakeEmbedder } from './helpers/fakeEmbedder.js';
import { PROJECT_ROOT } from './helpers/cli.js';
import { runWithoutDiskSpace } from './helpers/noDiskSpace.js';

const DIMENSION = 8;

/** A 32-hex key and a vector both derived from `name`, so any mix-up of records shows. */
function entry(name: string): { contentHash: string; vector: Float32Array } {
  const bytes = createHash('sha256').update(name).digest();
  return { contentHash: bytes.toString('hex', 0, 16), vector: Float32Array.from({ length: DIMENSION }, (_, i) => bytes[16 + i]! / 7) };
}

async function expectCached(cache: EmbeddingCache, names: string[]): Promise<void> {
  const vectors = await cache.getMany(names.map((name) => entry(name).contentHash));
  names.forEach((name, i) => expect(vectors[i], name).toEqual(entry(name).vector));
}

describe('embedding cache shared between codebases', () => {
  let base: string;
  let cacheDir: string;

  beforeEach(async () => {
    base = await mkdtemp(join(tmpdir(), 'codectx-cache-'));
    cacheDir = join(base, 'home', 'cache', 'embeddings', 'fake');
  });
  afterEach(async () => {
    await rm(base, { recursive: true, force: true });
  });

  /** Indexes `root` into its own index folder and store, with a cache opened on the shared folder. */
  async function index(root: string, embedder: FakeEmbedder, cache?: EmbeddingCache): Promise<IndexReport> {
    const name = root.split('/').pop()!;
    const indexDir = join(base, 'indexes', name);
    const store = await openLanceStore({ dir: join(indexDir, 'lancedb'), table: name, dimension: embedder.dimension });
    const own = cache ?? (await EmbeddingCache.open(cacheDir, embedder.dimension));
    try {
      return await indexCodebase({
        codebase: { root, collection: name, indexDir },
        identity: { store: 'lancedb', collection: name, embeddingId: embedder.id, dimension: embedder.dimension, chunkerVersion: 't' },
        chunker: await createChunker({ maxTokens: 200 }),
        embedder,
        store,
        state: localIndexState(indexDir),
        cache: own,
        maxFileBytes: 1 << 20,
        ignore: [],
      });
    } finally {
      if (cache) await cache.flush();
      else await own.close();
      await store.close();
    }
  }

  async function codebase(name: string): Promise<string> {
    const root = join(base, name);
    await cp(join(PROJECT_ROOT, 'test', 'fixtures', 'repo'), root, { recursive: true });
    return root;
  }

  it('a second checkout of the same files embeds nothing', async () => {
    const first = await codebase('first');
    const embedder = new FakeEmbedder();
    const report = await index(first, embedder);
    expect(report.embedded).toBeGreaterThan(10);

    const second = join(base, 'second');
    await cp(first, second, { recursive: true });
    const again = new FakeEmbedder();
    const secondReport = await index(second, again);
    expect(secondReport).toMatchObject({ embedded: 0, cacheHits: report.chunksWritten, chunksWritten: report.chunksWritten });
    expect(again.embeddedTexts).toEqual([]);
  });

  it('a cache opened before another process wrote finds what it wrote', async () => {
    const early = await EmbeddingCache.open(cacheDir, DIMENSION);
    await expectCached(early, []); // looked at the folder while it was empty
    const writer = await EmbeddingCache.open(cacheDir, DIMENSION);
    await writer.putMany(['a', 'b'].map(entry));
    await writer.close();
    await expectCached(early, ['a', 'b']);
    await early.close();
  });

  // Vectors were written only every 4 MiB (about 2,700 of the local model's): `kill -9` lost a minute of embedding.
  it('writes vectors out once the oldest has waited 5 seconds, so a killed writer loses only those seconds', async () => {
    let now = Date.now();
    const clock = vi.spyOn(Date, 'now').mockImplementation(() => now);
    try {
      const writer = await EmbeddingCache.open(cacheDir, DIMENSION);
      await writer.putMany([entry('first')]);
      now += 4_000;
      await writer.putMany([entry('second')]);
      const reader = await EmbeddingCache.open(cacheDir, DIMENSION);
      expect(await reader.getMany([entry('first').contentHash])).toEqual([undefined]);
      now += 1_000;
      await writer.putMany([entry('third')]);
      await expectCached(reader, ['first', 'second', 'third']);
      // Never closed, as a killed process: what it put since waits its 5 seconds.
      await writer.putMany([entry('fourth')]);
      expect(await reader.getMany([entry('fourth').contentHash])).toEqual([undefined]);
      await reader.close();
      await writer.close();
    } finally {
      clock.mockRestore();
    }
  });

  it('two processes writing at once lose nothing and corrupt nothing', async () => {
    const moduleUrl = pathToFileURL(join(PROJECT_ROOT, 'dist', 'index', 'embeddingCache.js')).href;
    // Each writer flushes every entry as its own segment, so both compact (and contend for the lock) many times.
    const writer = `
      import { createHash } from 'node:crypto';
      const { EmbeddingCache } = await import(${JSON.stringify(moduleUrl)});
      const [dir, who, count] = process.argv.slice(1);
      const entry = (name) => {
        const bytes = createHash('sha256').update(name).digest();
        return { contentHash: bytes.toString('hex', 0, 16), vector: Float32Array.from({ length: ${DIMENSION} }, (_, i) => bytes[16 + i] / 7) };
      };
      const cache = await EmbeddingCache.open(dir, ${DIMENSION});
      for (let i = 0; i < Number(count); i++) {
        await cache.putMany([entry(who + i), entry('shared' + i)]);
        await cache.flush();
        if (i % 10 === 0) await cache.getMany([entry('shared' + (i + 1)).contentHash]);
      }
      await cache.close();
    `;
    const COUNT = 80;
    const run = (who: string) =>
      new Promise<number>((resolve) => {
        const child = spawn(process.execPath, ['--input-type=module', '-e', writer, cacheDir, who, String(COUNT)], { stdio: 'inherit' });
        child.on('exit', (code) => resolve(code ?? 1));
      });
    expect(await Promise.all([run('p'), run('q'), run('r')])).toEqual([0, 0, 0]);

    const reader = await EmbeddingCache.open(cacheDir, DIMENSION);
    const names = Array.from({ length: COUNT }, (_, i) => ['p', 'q', 'r', 'shared'].map((who) => `${who}${i}`)).flat();
    await expectCached(reader, names);
    await reader.close();
    const files = await readdir(cacheDir);
    expect(files.filter((name) => name.startsWith('tmp-'))).toEqual([]);
    expect(files.filter((name) => name.endsWith('.seg')).length).toBeLessThanOrEqual(3 * 17);
  });

  // Seen on a full disk: the store's writes got in, then the cache's did not, and `codectx index` ended in
  // "unexpected error: ENOSPC: no space left on device, write", naming no file.
  it('names its folder when it cannot write there, and leaves no temporary file', async () => {
    await mkdir(cacheDir, { recursive: true });
    const { stdout } = await runWithoutDiskSpace(
      `const { EmbeddingCache } = await import(dist('index/embeddingCache.js'));
       const cache = await EmbeddingCache.open(process.argv[1], ${DIMENSION});
       await cache.putMany([{ contentHash: 'ab'.repeat(16), vector: new Float32Array(${DIMENSION}) }]);
       await cache.flush().then(() => console.log('written'), (error) => console.log(error.name, error.message));`,
      [cacheDir],
    );
    expect(stdout.trim()).toMatch(new RegExp(`^CodectxError cannot write the embedding cache ${cacheDir}: EFBIG`));
    expect(await readdir(cacheDir)).toEqual([]);
  });

  it('evicts the least recently used entries to stay under its cap', async () => {
    const ENTRY = 16 + DIMENSION * 4;
    const cap = 16 + 100 * ENTRY;
    const names = Array.from({ length: 90 }, (_, i) => `old${i}`);
    const filler = await EmbeddingCache.open(cacheDir, DIMENSION, cap);
    for (let i = 0; i < names.length; i += 10) {
      await filler.putMany(names.slice(i, i + 10).map(entry));
      await filler.flush();
    }
    await filler.close();

    // Over the cap: the oldest go, down to 80% of it; then old0-old4 are used, which makes them recent.
    const writer = await EmbeddingCache.open(cacheDir, DIMENSION, cap);
    await writer.putMany(Array.from({ length: 20 }, (_, i) => entry(`new${i}`)));
    await writer.flush();
    expect(await folderBytes(cacheDir)).toBeLessThanOrEqual(cap * 0.8 + 100);
    const evicted = await writer.getMany(['old0', 'old30'].map((name) => entry(name).contentHash));
    expect(evicted).toEqual([undefined, undefined]);
    await expectCached(writer, ['old40', 'old89', 'new0', 'new19']);

    await expectCached(writer, ['old40', 'old41', 'old42']); // hits on the base: written again as recent
    await writer.putMany(Array.from({ length: 20 }, (_, i) => entry(`newer${i}`)));
    await writer.close();
    const bigger = await EmbeddingCache.open(cacheDir, DIMENSION, cap);
    await bigger.putMany(Array.from({ length: 10 }, (_, i) => entry(`newest${i}`)));
    await bigger.flush();
    expect(await folderBytes(cacheDir)).toBeLessThanOrEqual(cap);
    await expectCached(bigger, ['old40', 'old41', 'old42', 'newer0', 'newest9']);
    expect(await bigger.getMany([entry('old43').contentHash])).toEqual([undefined]);
    await bigger.close();
  });

  it('a reader keeps reading while another process compacts its segments away', async () => {
    const writer = await EmbeddingCache.open(cacheDir, DIMENSION);
    for (let i = 0; i < 5; i++) {
      await writer.putMany([entry(`v${i}`)]);
      await writer.flush();
    }
    const reader = await EmbeddingCache.open(cacheDir, DIMENSION);
    await expectCached(reader, ['v0']);
    const before = (await readdir(cacheDir)).filter((name) => name.endsWith('.seg'));
    // 16 more small segments make the writer fold them all into one, removing the files the reader has open.
    for (let i = 5; i < 22; i++) {
      await writer.putMany([entry(`v${i}`)]);
      await writer.flush();
    }
    const after = (await readdir(cacheDir)).filter((name) => name.endsWith('.seg'));
    expect(after.some((name) => before.includes(name))).toBe(false);
    await expectCached(reader, ['v1', 'v2', 'v3', 'v4']); // from the files it has open, removed since
    await expectCached(reader, ['v1', 'v21']); // a key it does not know: it follows the folder
    await writer.close();
    await reader.close();
  });

  it('keeps what a failed flush could not write for the next flush', async () => {
    const cache = await EmbeddingCache.open(cacheDir, DIMENSION);
    await cache.putMany([entry('kept')]);
    await rm(cacheDir, { recursive: true });
    await expect(cache.flush()).rejects.toThrow(/ENOENT/);
    await mkdir(cacheDir);
    await cache.flush();
    const reader = await EmbeddingCache.open(cacheDir, DIMENSION);
    await expectCached(reader, ['kept']);
    await reader.close();
    await cache.close();
  });

  it('ignores what a writer that died left behind, and compaction clears it', async () => {
    const cache = await EmbeddingCache.open(cacheDir, DIMENSION);
    await cache.putMany([entry('kept')]);
    await cache.flush();
    await writeFile(join(cacheDir, 'tmp-999999999-dead'), 'half a segment');
    await writeFile(join(cacheDir, '000000000000001-1-x.seg'), 'damaged');
    const reader = await EmbeddingCache.open(cacheDir, DIMENSION);
    await expectCached(reader, ['kept']);
    for (let i = 0; i < 17; i++) {
      await cache.putMany([entry(`more${i}`)]);
      await cache.flush();
    }
    const files = await readdir(cacheDir);
    expect(files).not.toContain('tmp-999999999-dead');
    expect(files).not.toContain('000000000000001-1-x.seg');
    await expectCached(reader, ['kept', 'more16']);
    await cache.close();
    await reader.close();
  });
});

describe('where an embedding cache lives', () => {
  it('one folder per model, variant, dimension and endpoint, all under the home', () => {
    const dirs = [
      embeddingCacheDir('/h', 'local:all-MiniLM-L6-v2:int8', 384),
      embeddingCacheDir('/h', 'local:all-MiniLM-L6-v2:fp32', 384),
      embeddingCacheDir('/h', 'openai:text-embedding-3-small', 1536),
      embeddingCacheDir('/h', 'openai:text-embedding-3-small', 256),
      embeddingCacheDir('/h', 'openai:text-embedding-3-small', 1536, 'http://localhost:11434/v1'),
    ];
    expect(new Set(dirs).size).toBe(dirs.length);
    for (const dir of dirs) expect(dir).toMatch(/^\/h\/cache\/embeddings\/[a-zA-Z0-9._@-]+$/);
  });
});
