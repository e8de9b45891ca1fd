import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { CHUNKER_VERSION, type Chunker } from '../chunk/chunker.js';
import { projectName, type CodectxConfig } from '../config/config.js';
import { codectxHome, makePrivateDir } from '../config/paths.js';
import { configuredDimension, configuredEmbeddingId, createEmbeddingProvider } from '../embed/index.js';
import type { EmbeddingProvider } from '../embed/types.js';
import { DamagedIndexError, describeError, IndexStateError, NotIndexedError } from '../errors.js';
import { collectionNameFor, sharedCollectionName } from '../store/collectionName.js';
import type { ChunkStore } from '../store/types.js';
import { QueryVectors, searchIndex, type SearchOptions } from '../search/searcher.js';
import type { SearchResult } from '../search/types.js';
import { ago, count, shellArg } from '../text.js';
import type { Codebase } from '../index/codebase.js';
import { codebaseKey, type CodebaseKey } from '../index/codebaseKey.js';
import { localIndexState, SHARED_BUILD_SILENCE_MS, sharedIndexState, type IndexState } from '../index/indexState.js';
import { chunkBudget, indexChunker } from '../index/chunkRecords.js';
import { EmbeddingCache, embeddingCacheDir } from '../index/embeddingCache.js';
import { indexCodebase, type IndexOptions, type IndexReport } from '../index/indexer.js';
import { planIndex, type IndexPlan } from '../index/indexPlan.js';
import { acquireLock, lockHolder } from '../index/lock.js';
import { Manifest } from '../index/manifest.js';
import { assertCompatible, assertFolderStore, identityMismatch, readMetaIfSound, rebuildableChange, type IndexIdentity, type IndexMeta } from '../index/meta.js';

export interface IndexStatus {
  meta: IndexMeta;
  plan: IndexPlan;
  /** A setting that no longer matches the index (search refuses it until a rebuild); status said nothing of it. */
  settingsChange?: string;
  /** The change is one the next index run rebuilds the index for by itself (see rebuildableChange). */
  rebuildsItself?: true;
  /** Why the index's own model cannot be used here (no API key, no server): nothing changed, a rebuild would not help. */
  embeddingUnavailable?: string;
  /** A run holds the index's lock now: an index not complete is one being written, not one a run left unfinished. */
  running?: true;
}

type SettingsMismatch = Pick<IndexStatus, 'settingsChange' | 'rebuildsItself' | 'embeddingUnavailable'>;

/**
 * When the configured model cannot be loaded: another model than the index's is a settings change (named, as
 * `index` and `search` would); the index's own model is only out of reach ("changed since this index was built"
 * sent people to a rebuild that needs the same key or server).
 */
function unusableEmbedding(meta: IndexMeta, configuredId: string, error: unknown): SettingsMismatch {
  if (configuredId === meta.embeddingId) return { embeddingUnavailable: describeError(error) };
  return { settingsChange: `embedding model ${meta.embeddingId} → ${configuredId}, which cannot be used here: ${describeError(error)}` };
}

/**
 * The loaded machinery for one configuration: embedding model, chunker, and open stores. Created once per CLI
 * run, and kept alive by the daemon so queries skip model loading.
 */
export class Runtime {
  private embedderPromise?: Promise<EmbeddingProvider>;
  private chunkerPromise?: Promise<Chunker>;
  private readonly stores = new Map<string, Promise<ChunkStore>>();
  private readonly caches = new Map<string, Promise<EmbeddingCache>>();
  private readonly states = new Map<string, Promise<IndexState>>();
  private queryVectors?: QueryVectors;

  /** `embedder`, when given, stands in for the configured model (fast tests of indexing logic give a fake one). */
  constructor(
    readonly config: CodectxConfig,
    embedder?: EmbeddingProvider,
  ) {
    if (embedder) this.embedderPromise = Promise.resolve(embedder);
  }

  embedder(): Promise<EmbeddingProvider> {
    this.embedderPromise ??= createEmbeddingProvider(this.config.embedding);
    return this.embedderPromise;
  }

  chunker(): Promise<Chunker> {
    this.chunkerPromise ??= indexChunker(this.config);
    return this.chunkerPromise;
  }

  async identity(codebase: Codebase): Promise<IndexIdentity> {
    const embedder = await this.embedder();
    return {
      store: this.config.store,
      collection: this.config.store === 'milvus' ? sharedCollectionName(embedder.id, embedder.dimension) : codebase.collection,
      embeddingId: embedder.id,
      dimension: embedder.dimension,
      chunkerVersion: CHUNKER_VERSION,
      chunkTokens: chunkBudget(this.config.chunkTokens, embedder.maxTokens),
    };
  }

  private key(codebase: Codebase): Promise<CodebaseKey> {
    return codebaseKey(codebase.root, projectName(codebase.root));
  }

  /**
   * Where a codebase's rows go in Milvus: the collection of its model and dimension, and its partition key value
   * there, named by the codebase's key (config `name`, else git remote, else path) so that every checkout of one
   * repository, on any machine, finds the same index. LanceDB tables stay local, named by path.
   */
  private async milvusPlace(codebase: Codebase, embeddingId: string, dimension: number): Promise<{ collection: string; codebase: string }> {
    const key = await this.key(codebase);
    return {
      collection: sharedCollectionName(embeddingId, dimension),
      codebase: key.source === 'path' ? codebase.collection : collectionNameFor(key.key, key.label),
    };
  }

  /**
   * A shared index's file list as the server holds it, without loading the model (for `index --dry-run`): its
   * collection is named by the configured model and its vector size, as this machine's last run recorded it or as
   * known from the settings. Undefined for a local index, or when the size is known only by asking the model.
   */
  async sharedManifest(codebase: Codebase): Promise<Manifest | undefined> {
    if (this.config.store !== 'milvus') return undefined;
    const embeddingId = configuredEmbeddingId(this.config.embedding);
    const recorded = await readMetaIfSound(codebase.indexDir);
    const dimension = recorded?.store === 'milvus' && recorded.embeddingId === embeddingId ? recorded.dimension : configuredDimension(this.config.embedding);
    if (dimension === undefined) return undefined;
    const { openMilvusState } = await import('../store/milvusState.js');
    const table = await openMilvusState({ ...this.config.milvus, address: this.config.milvus.address!, ...(await this.milvusPlace(codebase, embeddingId, dimension)) });
    try {
      return await Manifest.load(codebase.indexDir, table);
    } finally {
      await table.close();
    }
  }

  /** Where the codebase's manifest and metadata live: its index folder, or beside a shared index's chunks. */
  state(codebase: Codebase): Promise<IndexState> {
    let state = this.states.get(codebase.collection);
    if (!state) {
      state = this.openState(codebase);
      this.states.set(codebase.collection, state);
      state.catch(() => this.states.delete(codebase.collection));
    }
    return state;
  }

  private async openState(codebase: Codebase): Promise<IndexState> {
    if (this.config.store !== 'milvus') return localIndexState(codebase.indexDir);
    const { openMilvusState } = await import('../store/milvusState.js');
    const { id, dimension } = await this.embedder();
    const table = await openMilvusState({ ...this.config.milvus, address: this.config.milvus.address!, ...(await this.milvusPlace(codebase, id, dimension)) });
    return sharedIndexState(codebase.indexDir, table);
  }

  store(codebase: Codebase, dimension: number): Promise<ChunkStore> {
    const key = `${codebase.collection}:${dimension}`;
    let store = this.stores.get(key);
    if (!store) {
      store = this.openStore(codebase, dimension);
      this.stores.set(key, store);
      store.catch(() => this.stores.delete(key));
    }
    return store;
  }

  // Store SDKs load on first use: the Milvus client alone adds over a second to every command's start.
  private async openStore(codebase: Codebase, dimension: number): Promise<ChunkStore> {
    if (this.config.store === 'milvus') {
      const { openMilvusStore } = await import('../store/milvus.js');
      const place = await this.milvusPlace(codebase, (await this.embedder()).id, dimension);
      return openMilvusStore({ ...this.config.milvus, address: this.config.milvus.address!, ...place, dimension });
    }
    const { openLanceStore } = await import('../store/lance.js');
    return openLanceStore({ dir: lanceDir(codebase), table: codebase.collection, dimension });
  }

  /** The index of a codebase, ready to search; says how to fix it when there is none or it is incompatible. */
  async openIndex(codebase: Codebase): Promise<{ store: ChunkStore; meta: IndexMeta }> {
    const meta = await (await this.state(codebase)).readMeta(true);
    if (!meta) {
      throw new NotIndexedError(`${codebase.root} is not indexed yet; run \`codectx index ${shellArg(codebase.root)}\` first`);
    }
    assertCompatible(meta, await this.identity(codebase));
    await assertBuildNotStopped(codebase, meta);
    return { store: await this.store(codebase, meta.dimension), meta };
  }

  /**
   * What the index holds, and the plan the next index run would carry out (what changed by content, what is
   * gone); undefined when there is no index.
   */
  async status(codebase: Codebase): Promise<IndexStatus | undefined> {
    const state = await this.state(codebase);
    const meta = await state.readMeta();
    if (!meta) return undefined;
    const mismatch: SettingsMismatch = await this.identity(codebase).then(
      (current) => {
        const change = identityMismatch(meta, current);
        return change ? { settingsChange: change, ...(rebuildableChange(meta, current) && { rebuildsItself: true as const }) } : {};
      },
      (error: unknown) => unusableEmbedding(meta, configuredEmbeddingId(this.config.embedding), error),
    );
    if (meta.store === 'lancedb') await assertChunksStored(codebase, await this.store(codebase, meta.dimension), meta.chunks);
    const manifest = await state.loadManifest();
    // A shared index's metadata counts what its last writer saw: writers at work at once each record their own
    // view, while its file list holds what each of them finished.
    const counted = meta.store === 'milvus' ? { ...meta, files: manifest.indexedFileCount, chunks: manifest.chunkCount } : meta;
    const plan = await planIndex(codebase.root, manifest, {
      chunker: await this.chunker(),
      maxFileBytes: this.config.maxFileBytes,
      ignore: this.config.ignore,
    });
    const running = !meta.complete && (await lockHolder(lockPath(codebase))) !== undefined;
    return { meta: counted, plan, ...mismatch, ...(running && { running }) };
  }

  async search(codebase: Codebase, query: string, options: SearchOptions): Promise<SearchResult[]> {
    const { store, meta } = await this.openIndex(codebase);
    this.queryVectors ??= new QueryVectors(await this.embedder());
    const results = await searchIndex(store, this.queryVectors, query, options);
    // Only an empty answer pays for the count.
    if (results.length === 0) await assertChunksStored(codebase, store, meta.chunks);
    return results;
  }

  /**
   * Runs incremental indexing under the codebase's lock; `force` drops the index and rebuilds it, `ignore` adds
   * gitignore-style rules to the configured ones for this run only.
   */
  async index(codebase: Codebase, options: IndexOptions & { force?: boolean; ignore?: readonly string[] } = {}): Promise<IndexReport> {
    // A Milvus index records its key as it is written (for `clear` of the folder once gone); compatibility
    // checks, one per search, need no git config read for it.
    const identity = { ...(await this.identity(codebase)), ...(this.config.store === 'milvus' ? { sharedKey: (await this.key(codebase)).key } : {}) };
    makePrivateDir(codebase.indexDir);
    const release = await acquireLock(lockPath(codebase), `the index of ${codebase.root}`);
    try {
      // Before a Milvus run reads its metadata from the server, which knows nothing of a LanceDB index here.
      if (!options.force) assertFolderStore(await readMetaIfSound(codebase.indexDir), identity.store);
      const meta = await (await this.state(codebase)).readMeta().catch((error: unknown) => {
        // Damaged metadata is what a forced rebuild is run to repair: it needs nothing from it.
        if (options.force && error instanceof DamagedIndexError) return undefined;
        throw error;
      });
      const rebuildFor = meta && !options.force ? rebuildableChange(meta, identity) : undefined;
      if (meta && !options.force && !rebuildFor) assertCompatible(meta, identity);
      // No index means any handle held here is to a table someone else dropped (`codectx clear`).
      if (!meta) await this.forget(codebase);
      if (options.force || rebuildFor) {
        await (await this.store(codebase, meta?.dimension ?? identity.dimension)).drop();
        await (await this.state(codebase)).reset();
        // A LanceDB index this Milvus rebuild replaces: its table would only take disk space.
        if (this.config.store === 'milvus') await rm(lanceDir(codebase), { recursive: true, force: true });
        await this.forget(codebase);
      }
      const state = await this.state(codebase);
      const store = await this.store(codebase, identity.dimension);
      // Vectors were cached per codebase before the cache was shared; that copy is only disk space now.
      await rm(join(codebase.indexDir, 'embeddings'), { recursive: true, force: true });
      const cache = await this.embeddingCache(identity);
      try {
        const report = await indexCodebase(
          {
            codebase,
            identity,
            chunker: await this.chunker(),
            embedder: await this.embedder(),
            store,
            state,
            cache,
            maxFileBytes: this.config.maxFileBytes,
            ignore: [...this.config.ignore, ...(options.ignore ?? [])],
          },
          options,
        );
        return rebuildFor ? { ...report, rebuiltFor: rebuildFor } : report;
      } finally {
        await cache.flush();
      }
    } finally {
      await release();
    }
  }

  /** The embedding cache shared by every codebase indexed with this model, opened once per runtime. */
  private embeddingCache(identity: IndexIdentity): Promise<EmbeddingCache> {
    const dir = embeddingCacheDir(codectxHome(), identity.embeddingId, identity.dimension, this.config.embedding.baseURL);
    let cache = this.caches.get(dir);
    if (!cache) {
      cache = EmbeddingCache.open(dir, identity.dimension);
      this.caches.set(dir, cache);
      cache.catch(() => this.caches.delete(dir));
    }
    return cache;
  }

  /**
   * Drops a codebase's store and deletes its index folder (manifest, metadata); says what the index held, or
   * undefined when there was none. The embedding cache is shared with other codebases and stays: it is bounded by
   * its own size cap. A folder that holds another store's index stays with it (`clear --store milvus` deleted
   * the LanceDB index there): only this store's index, if any, goes. `local` is the folder's metadata
   * (readMetaIfSound), which the caller read to choose this runtime's store.
   *
   * A Milvus index is found on the server by the key the folder gives now (its git remote or config name). When
   * the folder is gone, or its remote or name changed, the key no longer leads there: this machine's record of it
   * goes, and the shared index, which other checkouts may use, stays; `sharedKept` names it when recorded ('' when
   * the index predates the record).
   */
  async clear(codebase: Codebase, local: IndexMeta | undefined): Promise<{ chunks?: number; sharedKept?: string } | undefined> {
    const held = local?.store;
    const othersFolder = held !== undefined && held !== this.config.store;
    // A local index's state is that folder: this store has no index here.
    if (othersFolder && this.config.store !== 'milvus') return undefined;
    const meta = await (await this.state(codebase)).readMeta().catch((error: unknown) => {
      if (error instanceof DamagedIndexError) return 'damaged' as const;
      throw error;
    });
    if (!meta && !(held === 'milvus' && this.config.store === 'milvus')) return undefined;
    makePrivateDir(codebase.indexDir);
    const release = await acquireLock(lockPath(codebase), `the index of ${codebase.root}`);
    try {
      if (!meta) {
        const sharedKept = local!.sharedKey ?? '';
        const reached = sharedKept === (await this.key(codebase)).key;
        await this.forget(codebase);
        await rm(codebase.indexDir, { recursive: true, force: true });
        // The key leads to the server and it holds nothing there: someone cleared the shared index already.
        return reached ? {} : { sharedKept };
      }
      if (meta !== 'damaged') await (await this.store(codebase, meta.dimension)).drop();
      // Damaged metadata names no vector dimension: a LanceDB table goes with the index folder below, and the
      // Milvus rows to drop are the configured model's.
      else if (this.config.store === 'milvus') await (await this.store(codebase, (await this.identity(codebase)).dimension)).drop();
      await (await this.state(codebase)).drop();
      await this.forget(codebase);
      if (!othersFolder) await rm(codebase.indexDir, { recursive: true, force: true });
    } finally {
      await release();
    }
    return meta === 'damaged' ? {} : { chunks: meta.chunks };
  }

  private async forget(codebase: Codebase): Promise<void> {
    const state = this.states.get(codebase.collection);
    this.states.delete(codebase.collection);
    await (await state?.catch(() => undefined))?.close();
    for (const [key, store] of [...this.stores]) {
      if (!key.startsWith(`${codebase.collection}:`)) continue;
      this.stores.delete(key);
      await (await store.catch(() => undefined))?.close();
    }
  }

  async close(): Promise<void> {
    const stores = await Promise.allSettled(this.stores.values());
    for (const result of stores) if (result.status === 'fulfilled') await result.value.close();
    this.stores.clear();
    const caches = await Promise.allSettled(this.caches.values());
    for (const result of caches) if (result.status === 'fulfilled') await result.value.close();
    this.caches.clear();
    const states = await Promise.allSettled(this.states.values());
    for (const result of states) if (result.status === 'fulfilled') await result.value.close();
    this.states.clear();
    if (this.embedderPromise) await (await this.embedderPromise.catch(() => undefined))?.close();
  }
}

/**
 * Refuses a LanceDB index whose table lost every chunk the metadata counts (its lancedb folder deleted): searches
 * said "no results" and status counted chunks that were gone. `codectx index` repairs it against the manifest.
 */
async function assertChunksStored(codebase: Codebase, store: ChunkStore, chunks: number): Promise<void> {
  if (store.kind !== 'lancedb' || chunks === 0 || (await store.count()) > 0) return;
  throw new IndexStateError(`the index of ${codebase.root} has lost its chunks (its LanceDB table is gone or empty); run \`codectx index\` to rebuild it`);
}

/**
 * Refuses an index whose build from nothing (the first run, or `--force`) stopped before it finished: it holds part
 * of the codebase, none of it right after `--force` dropped the old one, and searches said "no results". A build
 * still running here (its lock held) is searched as it stands, like any run in progress; a shared one another
 * machine builds is refused, running or not, as no lock here can tell.
 */
async function assertBuildNotStopped(codebase: Codebase, meta: IndexMeta): Promise<void> {
  if (meta.complete || !meta.fromScratch) return;
  const holds = `it holds ${count(meta.files, 'file')} so far`;
  const finish = `\`codectx index ${shellArg(codebase.root)}\``;
  if (meta.buildingElsewhere) {
    const silence = Date.now() - Date.parse(meta.updatedAt);
    throw new IndexStateError(
      silence > SHARED_BUILD_SILENCE_MS
        ? `the shared index of ${codebase.root} was being built from nothing on another machine when it stopped (${holds}, last written ${ago(meta.updatedAt)}); run ${finish} to finish it`
        : `the shared index of ${codebase.root} is being built from nothing on another machine and is not finished (${holds}, last written ${ago(meta.updatedAt)}); search again when that build is done, or run ${finish} to finish it if it stopped`,
    );
  }
  if (await lockHolder(lockPath(codebase))) return;
  throw new IndexStateError(`the index of ${codebase.root} was being built when it stopped (${holds}); run ${finish} to finish it`);
}

function lanceDir(codebase: Codebase): string {
  return join(codebase.indexDir, 'lancedb');
}

function lockPath(codebase: Codebase): string {
  return join(codebase.indexDir, 'index.lock');
}
