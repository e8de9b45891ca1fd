import { join } from 'node:path';
import { DamagedIndexError, IndexStateError } from '../errors.js';
import { readJsonOr, writeJsonAtomic } from './atomicFile.js';

const META_FORMAT = 1;

/** What an index was built with; vectors from another model, store or chunker must never be mixed in. */
export interface IndexIdentity {
  store: string;
  collection: string;
  embeddingId: string;
  dimension: number;
  chunkerVersion: string;
  /**
   * Tokens per chunk the files were cut at (chunkTokens within the model's limit): a changed budget cut only the
   * files that changed, and the index mixed both sizes without a word. Absent in metadata written before it was
   * recorded, and then not compared.
   */
  chunkTokens?: number;
  /**
   * A Milvus index's codebase key (see codebaseKey: "git:github.com/acme/widgets"), recorded so that `clear` of a
   * folder deleted since can say which shared index stays: the key can no longer be read from the folder.
   */
  sharedKey?: string;
}

export interface IndexMeta extends IndexIdentity {
  format: number;
  root: string;
  createdAt: string;
  updatedAt: string;
  /** False while a run is writing; a run that finds it false reconciles the store with the manifest first. */
  complete: boolean;
  /**
   * Set while the index is built from nothing (the first run, or `--force` after dropping the old one) and until a
   * run completes it: an index that stopped then holds only part of the codebase, maybe none of it.
   */
  fromScratch?: true;
  /**
   * Set with fromScratch on a shared index whose build from nothing another machine started: no lock here says
   * whether it still runs, only how long ago it last wrote (updatedAt).
   */
  buildingElsewhere?: true;
  files: number;
  chunks: number;
  skipped: Record<string, number>;
  lastErrors: { file: string; message: string }[];
}

export function metaPath(indexDir: string): string {
  return join(indexDir, 'meta.json');
}

export async function readMeta(indexDir: string): Promise<IndexMeta | undefined> {
  const damaged = () => new DamagedIndexError(`the index metadata in ${indexDir} is damaged; run \`codectx index --force\` to rebuild`);
  let meta: unknown;
  try {
    meta = await readJsonOr<unknown>(metaPath(indexDir), undefined);
  } catch {
    throw damaged();
  }
  // Valid JSON is not yet metadata: `{}` got as far as "the index of undefined was built with another setup".
  if (meta !== undefined && !isMeta(meta)) throw damaged();
  return meta;
}

const META_FIELDS = { root: 'string', store: 'string', collection: 'string', embeddingId: 'string', dimension: 'number', chunkerVersion: 'string', complete: 'boolean', files: 'number', chunks: 'number' };

function isMeta(value: unknown): value is IndexMeta {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  return Object.entries(META_FIELDS).every(([field, type]) => typeof (value as Record<string, unknown>)[field] === type);
}

export async function writeMeta(indexDir: string, meta: IndexMeta): Promise<void> {
  await writeJsonAtomic(metaPath(indexDir), { ...meta, format: META_FORMAT });
}

/** Names what changed between the index on disk and the current settings, or undefined when they match. */
export function identityMismatch(meta: IndexIdentity, current: IndexIdentity): string | undefined {
  if (meta.store !== current.store) return `store ${meta.store} → ${current.store}`;
  if (meta.embeddingId !== current.embeddingId) return `embedding model ${meta.embeddingId} → ${current.embeddingId}`;
  if (meta.dimension !== current.dimension) return `vector dimension ${meta.dimension} → ${current.dimension}`;
  if (meta.chunkerVersion !== current.chunkerVersion) return `chunker ${meta.chunkerVersion} → ${current.chunkerVersion}`;
  if (meta.chunkTokens !== undefined && meta.chunkTokens !== current.chunkTokens) {
    return `chunk budget ${meta.chunkTokens} → ${current.chunkTokens} tokens`;
  }
  return undefined;
}

/**
 * The folder's metadata, whichever store wrote it, or undefined when there is none or it is damaged: for asking
 * which store's index the folder holds (`clear` must get past damaged metadata; a run reports it in its own read).
 */
export function readMetaIfSound(indexDir: string): Promise<IndexMeta | undefined> {
  return readMeta(indexDir).catch((error: unknown) => {
    if (error instanceof DamagedIndexError) return undefined;
    throw error;
  });
}

/**
 * The change when only the chunker differs, so an index run may rebuild the index itself: same model and store,
 * every vector comes back from the embedding cache, and nothing needs the user's word. A shared (Milvus) index is
 * others' too and keeps asking for `--force`.
 */
export function rebuildableChange(meta: IndexIdentity, current: IndexIdentity): string | undefined {
  if (meta.store !== 'lancedb' || current.store !== 'lancedb' || meta.chunkerVersion === current.chunkerVersion) return undefined;
  return identityMismatch({ ...meta, chunkerVersion: current.chunkerVersion }, current) ? undefined : identityMismatch(meta, current);
}

export function assertCompatible(meta: IndexMeta, current: IndexIdentity): void {
  const change = identityMismatch(meta, current);
  if (!change) return;
  if (rebuildableChange(meta, current)) {
    throw new IndexStateError(`the index of ${meta.root} was cut by an older chunker (${change}); run \`codectx index\` to rebuild it (its vectors come from the cache)`);
  }
  throw anotherSetup(meta.root, change);
}

/**
 * Refuses a run into `store` when the codebase's index folder holds another store's index. One folder keeps one
 * store's local state (LanceDB: its table and manifest; Milvus: this machine's mtimes and last run), and a Milvus
 * run, which reads its metadata from the server, took a LanceDB index over without a word.
 */
export function assertFolderStore(held: IndexMeta | undefined, store: string): void {
  if (held && held.store !== store) throw anotherSetup(held.root, `store ${held.store} → ${store}`);
}

function anotherSetup(root: string, change: string): IndexStateError {
  return new IndexStateError(`the index of ${root} was built with another setup (${change}); run \`codectx index --force\` to rebuild it`);
}
