import { rm } from 'node:fs/promises';
import { DamagedIndexError } from '../errors.js';
import type { StateTable } from '../store/types.js';
import { Manifest } from './manifest.js';
import { metaPath, readMeta, readMetaIfSound, writeMeta, type IndexMeta } from './meta.js';

/**
 * Where an index's manifest and metadata live. Locally (LanceDB) both are files in the index folder. A shared
 * index (Milvus) keeps them in a state table beside the chunks, so any machine can search with no local state
 * and writers diff against each other's work; the local folder then holds only this machine's lock, mtimes,
 * embedding cache, and whether its own last run finished.
 */
export interface IndexState {
  /** `recent`: for a search, which only checks the index's setup; a few seconds stale will do. */
  readMeta(recent?: boolean): Promise<IndexMeta | undefined>;
  writeMeta(meta: IndexMeta): Promise<void>;
  loadManifest(): Promise<Manifest>;
  /** Forgets every file and the metadata, damaged or not (a forced rebuild starts from nothing). */
  reset(): Promise<void>;
  /**
   * Deletes the state for good (`codectx clear`). A shared index's local folder is left to the caller: it may
   * hold another store's index.
   */
  drop(): Promise<void>;
  close(): Promise<void>;
}

export function localIndexState(indexDir: string): IndexState {
  return {
    readMeta: () => readMeta(indexDir),
    writeMeta: (meta) => writeMeta(indexDir, meta),
    loadManifest: () => Manifest.load(indexDir),
    async reset() {
      await rm(metaPath(indexDir), { force: true });
      await Manifest.reset(indexDir);
    },
    drop: () => rm(indexDir, { recursive: true, force: true }),
    close: async () => undefined,
  };
}

// Milvus VarChar ceiling for one row; the error list is what can grow past it.
const MAX_META_BYTES = 60_000;
/**
 * A shared build from nothing whose writer has written nothing for this long has stopped (killed, its machine gone):
 * its groups land every few seconds, and counting the changes of a 100k-chunk codebase before the first group takes
 * well under a minute. Before that, another machine cannot tell a running build from one that stopped.
 */
export const SHARED_BUILD_SILENCE_MS = 3 * 60_000;

export function sharedIndexState(indexDir: string, table: StateTable): IndexState {
  return {
    async readMeta(recent) {
      const body = await table.readMeta(recent);
      if (body === undefined) return undefined;
      let meta: IndexMeta;
      try {
        meta = JSON.parse(body) as IndexMeta;
      } catch {
        throw new DamagedIndexError('the shared index metadata is damaged; run `codectx index --force` to rebuild');
      }
      // "Interrupted" is about this machine's own last run: another writer's run in progress is not a crash, and a
      // LanceDB index the folder holds says nothing about this one. A build from nothing, though, empties the index
      // for everyone, so the shared marker decides it on every machine: a teammate's `index --force` killed part
      // way left everyone else silent empty results, and one finished elsewhere is finished here too.
      const { building, ...shared } = meta as IndexMeta & { building?: true };
      const mine = await readMetaIfSound(indexDir);
      const own = mine?.store === shared.store ? mine : undefined;
      if (building !== true) return { ...shared, complete: own?.complete ?? true };
      const buildingHere = own?.fromScratch === true && !own.complete;
      return { ...shared, complete: false, fromScratch: true, ...(buildingHere ? {} : { buildingElsewhere: true as const }) };
    },
    async writeMeta(meta) {
      await writeMeta(indexDir, meta);
      const { complete, fromScratch, ...rest } = meta;
      // Every group a build writes renews updatedAt: its silence is what tells other machines it stopped.
      const shared = fromScratch && !complete ? { ...rest, building: true } : rest;
      let body = JSON.stringify(shared);
      if (Buffer.byteLength(body) > MAX_META_BYTES) body = JSON.stringify({ ...shared, lastErrors: [] });
      await table.writeMeta(body);
    },
    loadManifest: () => Manifest.load(indexDir, table),
    async reset() {
      await table.clear();
      await rm(metaPath(indexDir), { force: true });
      await Manifest.reset(indexDir);
    },
    drop: () => table.clear(),
    close: () => table.close(),
  };
}
