import type { Chunk } from '../chunk/types.js';

/** A chunk as a store keeps it. */
export interface StoredChunk extends Chunk {
  /** Stable id: hash of file + line range + content. */
  id: string;
  /** Hash of `content` (the embedding cache key). */
  contentHash: string;
  /** Hash of the whole file the chunk came from (lets incremental indexing diff against the store). */
  fileHash: string;
  vector: Float32Array;
}

/**
 * A chunk as a search returns it: no vector, and no hashes (only indexing needs them; each column a search reads
 * back costs a read per hit, ~1.5 ms a side at 100k chunks).
 */
export type ChunkRecord = Omit<StoredChunk, 'vector' | 'contentHash' | 'fileHash'>;

export interface SearchFilter {
  /** Only files under this relative path prefix (e.g. "src/auth/"). */
  pathPrefix?: string;
  language?: string;
  kind?: string;
}

/** Lines startLine..endLine (1-based, inclusive) of one file. */
export interface FileLines {
  file: string;
  startLine: number;
  endLine: number;
  /**
   * Only the chunks of this definition (same symbol, owner and kind): a lookup for the rest of a split definition
   * would otherwise read every chunk within hundreds of lines of it (~200 rows, ~9 ms at 100k chunks).
   */
  definition?: DefinitionName;
}

export type DefinitionName = Pick<ChunkRecord, 'symbol' | 'container' | 'kind'>;

export interface RankedChunk {
  chunk: ChunkRecord;
  /** Side-specific score: cosine similarity for dense, BM25 score for keyword. Higher is better. */
  score: number;
}

/**
 * One small interface, two real implementations (LanceDB embedded, Milvus server/cluster/Zilliz Cloud).
 * Each store answers the dense and the keyword (BM25) side natively; fusing them is src/store/hybrid.ts's job,
 * so both stores rank identically and every result can say how each side scored it.
 */
export interface ChunkStore {
  readonly kind: 'lancedb' | 'milvus';
  /** Inserts or replaces chunks by id. */
  upsert(chunks: StoredChunk[]): Promise<void>;
  /** Removes chunks by id: a store's primary key, so no scan (a shared index records each file's chunk ids). */
  deleteChunks(ids: string[]): Promise<void>;
  /** Removes every chunk of the given files. */
  deleteFiles(files: string[]): Promise<void>;
  /**
   * Indexed files and the file hash their chunks were made from, read from the chunks: a store whose index state
   * is a local manifest (LanceDB) repairs an interrupted run against it. Milvus has none: its state collection
   * records files as pending before their chunks are written, and listing the chunk rows grows with the index.
   */
  listFiles?(): Promise<Map<string, string>>;
  count(): Promise<number>;
  /**
   * Brings both search sides up to date with every write so far; called once at the end of an index run.
   * (LanceDB scores rows not yet in its full-text index by a flat scan whose BM25 figures are not comparable.)
   */
  flush(): Promise<void>;
  searchDense(vector: Float32Array, limit: number, filter?: SearchFilter): Promise<RankedChunk[]>;
  searchKeyword(text: string, limit: number, filter?: SearchFilter): Promise<RankedChunk[]>;
  /**
   * The chunks that overlap any of the given lines, in no order: what lies between two chunks a search joined into
   * one result (search/pieces.ts), read from the index, which matches the chunks found, not from a file that may
   * have changed since.
   */
  chunksAt(lines: FileLines[]): Promise<ChunkRecord[]>;
  /** Deletes the codebase's chunks: its whole table (LanceDB), its rows of a shared collection (Milvus). */
  drop(): Promise<void>;
  close(): Promise<void>;
}

/** A store that lists its files (LanceDB). */
export interface ListingStore extends ChunkStore {
  listFiles(): Promise<Map<string, string>>;
}

/**
 * Where a shared index keeps its state beside the chunks (Milvus: a `<collection>_files` collection), so a
 * machine with no local state can read it and several writers see each other's work. Bodies are opaque JSON
 * the index layer writes; the table only stores them by key, with one metadata row.
 */
export interface StateTable {
  /** `recent`: a few seconds stale is fine (a search checking the index's setup), so no Strong read. */
  readMeta(recent?: boolean): Promise<string | undefined>;
  writeMeta(body: string): Promise<void>;
  /** Every file's body, by path. */
  readFiles(): Promise<Map<string, string>>;
  /** The bodies of these files as the table holds them now (a Strong read), by path; absent ones are left out. */
  readFilesAt(paths: string[]): Promise<Map<string, string>>;
  writeFiles(put: [path: string, body: string][], removed: string[]): Promise<void>;
  /** Forgets this codebase's state (files and metadata). */
  clear(): Promise<void>;
  close(): Promise<void>;
}
