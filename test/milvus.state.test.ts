import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MilvusClient } from '@zilliz/milvus2-sdk-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createChunker } from '../src/chunk/chunker.js';
import { EmbeddingCache } from '../src/index/embeddingCache.js';
import { indexCodebase, type IndexReport } from '../src/index/indexer.js';
import { SHARED_BUILD_SILENCE_MS, sharedIndexState } from '../src/index/indexState.js';
import type { IndexMeta } from '../src/index/meta.js';
import { openMilvusStore } from '../src/store/milvus.js';
import { openMilvusState, stateCollectionName } from '../src/store/milvusState.js';
import type { ChunkStore } from '../src/store/types.js';
import { FakeEmbedder } from './helpers/fakeEmbedder.js';
import { writeTwoFiles } from './helpers/twoFiles.js';

/**
 * A shared index's state on a real Milvus-API server (Milvus Lite): a run that dies after storing chunks but
 * before recording them is repaired by the next run from the state alone — files written ahead as pending are
 * redone — without listing the store's rows. Needs MILVUS_ADDRESS (skipped without it, except in CI).
 */

const address = process.env.MILVUS_ADDRESS;
const runs = Boolean(address) || process.env.CI === 'true';
const RUN = `${process.pid}_${Date.now()}`;

/** The real store, which can be told to die right after its next upsert lands, and counts deletes by file name (scans). */
function dyingAfterUpsert(store: ChunkStore): ChunkStore & { dieAfterUpsert: boolean; deletesByName: number } {
  const wrapped = Object.create(store) as ChunkStore & { dieAfterUpsert: boolean; deletesByName: number };
  wrapped.dieAfterUpsert = false;
  wrapped.deletesByName = 0;
  wrapped.upsert = async (chunks) => {
    await store.upsert(chunks);
    if (wrapped.dieAfterUpsert) throw new Error('process killed after the upsert');
  };
  wrapped.deleteFiles = async (files) => {
    wrapped.deletesByName++;
    return store.deleteFiles(files);
  };
  return wrapped;
}

/** One index run of `root` into a codebase of the collection, with the state opened anew (as a fresh process would). */
async function indexAs(
  at: { root: string; indexDir: string; codebase: string; collection: string },
  store: ChunkStore,
  embedder: FakeEmbedder,
  cacheFile = 'embeddings.bin',
): Promise<IndexReport> {
  const table = await openMilvusState({ address: address!, collection: at.collection, codebase: at.codebase });
  const cache = await EmbeddingCache.open(join(at.indexDir, cacheFile), embedder.dimension);
  try {
    return await indexCodebase({
      codebase: { root: at.root, collection: at.codebase, indexDir: at.indexDir },
      identity: { store: 'milvus', collection: at.collection, embeddingId: embedder.id, dimension: embedder.dimension, chunkerVersion: 't' },
      chunker: await createChunker({ maxTokens: 200 }),
      embedder,
      store,
      state: sharedIndexState(at.indexDir, table),
      cache,
      maxFileBytes: 1 << 20,
      ignore: [],
    });
  } finally {
    await cache.close();
    await table.close();
  }
}

describe.runIf(runs)('shared index state in Milvus', () => {
  let root: string;
  let indexDir: string;
  let store: ReturnType<typeof dyingAfterUpsert>;
  const embedder = new FakeEmbedder();
  const collection = `state_${RUN}`;

  beforeEach(async () => {
    expect(address, 'CI=true but MILVUS_ADDRESS is not set').toBeTruthy();
    root = await mkdtemp(join(tmpdir(), 'codectx-state-'));
    indexDir = await mkdtemp(join(tmpdir(), 'codectx-state-index-'));
    await writeTwoFiles(root);
    store = dyingAfterUpsert(await openMilvusStore({ address: address!, collection, codebase: 'cb', dimension: embedder.dimension }));
  });

  afterEach(async () => {
    await store.drop();
    await store.close();
    await rm(root, { recursive: true, force: true });
    await rm(indexDir, { recursive: true, force: true });
  });

  /** One index run as a fresh process would do it: state opened anew, local folder as the last run left it. */
  const run = (): Promise<IndexReport> => indexAs({ root, indexDir, codebase: 'cb', collection }, store, embedder);

  // After the server restarted, a daemon's every call failed "in state 'released'; call load()" until it restarted.
  it('loads a collection released under an open store and state again, and goes on', async () => {
    const first = await run();
    const table = await openMilvusState({ address: address!, collection, codebase: 'cb' });
    const admin = new MilvusClient({ address: address! });
    try {
      for (const name of [collection, stateCollectionName(collection)]) await admin.releaseCollection({ collection_name: name });
      expect((await store.searchKeyword('alpha', 10)).length).toBeGreaterThan(0);
      expect(await store.count()).toBe(first.totalChunks);
      expect((await table.readFiles()).size).toBe(2);
    } finally {
      await table.clear(); // the next test starts from no state, as the store is dropped after each
      await admin.closeConnection();
      await table.close();
    }
  });

  // A server recreated without its data (or an admin's drop): a daemon's every index run and search failed
  // "collection … does not exist" until it was restarted; the CLI, which opens its handles anew, built it again.
  it('sets a collection up again when the server lost it under an open store and state, and indexes anew', async () => {
    await run();
    const table = await openMilvusState({ address: address!, collection, codebase: 'cb' });
    const admin = new MilvusClient({ address: address! });
    try {
      for (const name of [collection, stateCollectionName(collection)]) await admin.dropCollection({ collection_name: name });
      expect(await table.readMeta()).toBeUndefined();
      expect(await store.count()).toBe(0);
      const again = await run();
      expect(again.filesChanged).toBe(2);
      expect(await store.count()).toBe(again.totalChunks);
      expect((await store.searchKeyword('alpha', 10)).map((hit) => hit.chunk.symbol)).toContain('alpha');
    } finally {
      await table.clear();
      await admin.closeConnection();
      await table.close();
    }
  });

  // A teammate's `index --force` killed part way left everyone else an empty index and silent empty results.
  it('a build from nothing is unfinished on every machine until one completes it, whoever that is', async () => {
    const table = await openMilvusState({ address: address!, collection, codebase: 'cb' });
    const elsewhere = await mkdtemp(join(tmpdir(), 'codectx-state-other-'));
    const [alice, bob] = [sharedIndexState(indexDir, table), sharedIndexState(elsewhere, table)];
    const at = (msAgo: number) => new Date(Date.now() - msAgo).toISOString();
    const meta: IndexMeta = {
      format: 1, root, store: 'milvus', collection, embeddingId: embedder.id, dimension: embedder.dimension, chunkerVersion: 't',
      createdAt: at(0), updatedAt: at(0), complete: false, fromScratch: true, files: 3, chunks: 9, skipped: {}, lastErrors: [],
    };
    try {
      await alice.writeMeta(meta);
      // Written a moment ago or long ago: no lock on Bob's machine says whether Alice's run still goes on.
      for (const updatedAt of [at(0), at(SHARED_BUILD_SILENCE_MS + 1000)]) {
        await alice.writeMeta({ ...meta, updatedAt });
        expect(await bob.readMeta(true)).toMatchObject({ complete: false, fromScratch: true, buildingElsewhere: true, files: 3 });
        const own = await alice.readMeta(true);
        expect(own).toMatchObject({ complete: false, fromScratch: true });
        expect(own?.buildingElsewhere).toBeUndefined();
      }
      // Bob finishes the build Alice stopped: Alice's own record of her stopped run no longer makes it unfinished.
      const { fromScratch: _done, ...finished } = meta;
      await bob.writeMeta({ ...finished, complete: true, files: 5 });
      expect(await bob.readMeta(true)).toMatchObject({ complete: true, files: 5 });
      const mine = await alice.readMeta(true);
      expect(mine).toMatchObject({ files: 5 });
      expect(mine?.fromScratch).toBeUndefined();
    } finally {
      await table.clear();
      await table.close();
      await rm(elsewhere, { recursive: true, force: true });
    }
  });

  it('repairs a run that died between storing chunks and recording them, from the state alone', async () => {
    const first = await run();
    expect(first.totalChunks).toBe(await store.count());

    await writeFile(join(root, 'a.ts'), 'export function alphaRenamed(x: number) {\n  return x + 2;\n}\n');
    store.dieAfterUpsert = true;
    await expect(run()).rejects.toThrow('process killed after the upsert');
    store.dieAfterUpsert = false;

    const repaired = await run();
    // The pending entry held the ids of the chunks before and after: the repair deletes by primary key, no listing.
    expect(store.listFiles).toBeUndefined();
    expect(store.deletesByName).toBe(0);
    expect(repaired.filesChanged).toBe(1);
    expect(repaired.totalChunks).toBe(await store.count());
    const symbols = (await store.searchKeyword('alpha alphaRenamed', 10)).map((hit) => hit.chunk.symbol);
    expect(symbols).toEqual(['alphaRenamed']);

    const again = await run();
    expect(again).toMatchObject({ filesChanged: 0, filesDeleted: 0, embedded: 0 });
  }, 60_000);

  it('deletes a changed or deleted file\'s chunks by the ids in the state, never by a scan of the file field', async () => {
    await writeFile(join(root, 'c.ts'), 'export function gamma() {\n  return 3;\n}\n\nexport function delta() {\n  return 4;\n}\n');
    await run();
    await writeFile(join(root, 'c.ts'), 'export function gammaTwo() {\n  return 33;\n}\n');
    await rm(join(root, 'b.py'));
    const report = await run();
    expect(report).toMatchObject({ filesChanged: 1, filesDeleted: 1 });
    expect(store.deletesByName).toBe(0);
    expect(report.totalChunks).toBe(await store.count());
    expect((await store.searchKeyword('gamma delta beta gammaTwo', 10)).map((hit) => hit.chunk.symbol)).toEqual(['gammaTwo']);
  }, 60_000);

  // Two writers storing different contents of one file at once: the one whose record lost left its chunks in the
  // index for good (no later run knew their ids), stale duplicates in every search of that file.
  it('two writers storing one file at once leave only the chunks the state names, whichever order they finish in', async () => {
    const codebase = 'race';
    const shared = await openMilvusStore({ address: address!, collection, codebase, dimension: embedder.dimension });
    const machines = await Promise.all(
      ['alice', 'bob'].map(async (who) => {
        const dir = await mkdtemp(join(tmpdir(), `codectx-race-${who}-`));
        await writeTwoFiles(dir);
        return { who, root: dir, indexDir: await mkdtemp(join(tmpdir(), `codectx-race-${who}-index-`)) };
      }),
    );
    /** One run of a machine; `hold` runs when its group is embedded (before it is marked pending) or just before its upsert. */
    const runOn = async (machine: (typeof machines)[number], hold: { beforeMark?: () => Promise<void>; beforeUpsert?: () => Promise<void> } = {}) => {
      const held = Object.create(shared) as ChunkStore;
      held.upsert = async (chunks) => {
        await hold.beforeUpsert?.();
        return shared.upsert(chunks);
      };
      const gated = Object.create(embedder) as FakeEmbedder;
      gated.embed = async (texts) => {
        await hold.beforeMark?.();
        return embedder.embed(texts);
      };
      // A cache of its own each run: every group is embedded, so `beforeMark` is reached.
      return indexAs({ ...machine, codebase, collection }, held, gated, `embeddings-${Date.now()}.bin`);
    };
    const version = async (machine: (typeof machines)[number], name: string) =>
      writeFile(join(machine.root, 'c.ts'), `export function ${name}() {\n  return '${name}';\n}\n`);
    /** The symbols of c.ts in the store, and those its state entry names. */
    const cFile = async () => {
      const stored = (await shared.chunksAt([{ file: 'c.ts', startLine: 1, endLine: 1_000 }])).map((chunk) => chunk.symbol).sort();
      const table = await openMilvusState({ address: address!, collection, codebase });
      const entry = JSON.parse((await table.readFilesAt(['c.ts'])).get('c.ts')!) as { ids: string[]; pending?: true };
      await table.close();
      return { stored, recorded: entry.ids.length, pending: entry.pending };
    };
    const [alice, bob] = machines;
    try {
      await version(alice!, 'first');
      await runOn(alice!);

      // Bob finishes while Alice waits to store: Alice finishes last, over Bob's record.
      await version(alice!, 'aliceOne');
      await version(bob!, 'bobOne');
      await runOn(alice!, { beforeUpsert: async () => void (await runOn(bob!)) });
      expect(await cFile()).toEqual({ stored: ['aliceOne'], recorded: 1, pending: undefined });

      // Both read the state, Alice finishes while Bob embeds: Bob finishes last, over Alice's record.
      await version(alice!, 'aliceTwo');
      await version(bob!, 'bobTwo');
      await runOn(bob!, { beforeMark: async () => void (await runOn(alice!)) });
      expect(await cFile()).toEqual({ stored: ['bobTwo'], recorded: 1, pending: undefined });
    } finally {
      await shared.drop();
      await shared.close();
      const table = await openMilvusState({ address: address!, collection, codebase });
      await table.clear();
      await table.close();
      for (const machine of machines) {
        await rm(machine.root, { recursive: true, force: true });
        await rm(machine.indexDir, { recursive: true, force: true });
      }
    }
  }, 120_000);

  it('reads back a file list larger than one query window (16384 rows), and keeps codebases apart', async () => {
    const [mine, other] = [
      await openMilvusState({ address: address!, collection, codebase: 'big' }),
      await openMilvusState({ address: address!, collection, codebase: 'small' }),
    ];
    try {
      const files = Array.from({ length: 20_000 }, (_, i): [string, string] => [`src/dir${i % 97}/file${i}.ts`, `{"hash":"h${i}","size":${i},"chunks":1}`]);
      await mine.writeFiles(files, []);
      await other.writeFiles([['src/only.ts', '{"hash":"x","size":1,"chunks":1}']], []);
      const started = performance.now();
      const read = await mine.readFiles();
      console.log(`readFiles: ${read.size} entries in ${Math.round(performance.now() - started)} ms`);
      expect(read).toEqual(new Map(files));
      expect([...(await other.readFiles()).keys()]).toEqual(['src/only.ts']);

      await mine.writeFiles([], files.slice(0, 5_000).map(([path]) => path));
      expect((await mine.readFiles()).size).toBe(15_000);
      await mine.clear();
      expect((await mine.readFiles()).size).toBe(0);
      expect((await other.readFiles()).size).toBe(1);
    } finally {
      await other.clear();
      await mine.close();
      await other.close();
    }
  }, 300_000);
});
