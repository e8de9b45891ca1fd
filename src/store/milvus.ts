import { ConsistencyLevelEnum, type MilvusClient } from '@zilliz/milvus2-sdk-node';
import { StoreError } from '../errors.js';
import { fromColumns, RECORD_COLUMNS, toColumns } from './columns.js';
import { contentOffset, keywordQuery } from './keywordText.js';
import { milvusExpr, milvusFileList, milvusIn, milvusString } from './milvusFilter.js';
import { BOUNDED_STALENESS_MS, connectMilvus, DDL_TIMEOUT_MS, ensureOk, guardedMilvus, loadCollection, truncateUtf8 } from './milvusClient.js';
import {
  collectionFields,
  collectionFunctions,
  collectionIndexes,
  CODEBASE_PARTITIONS,
  MAPPED_FIELDS,
  MAX_TEXT_BYTES,
  schemaProblem,
  type DescribedSchema,
  VECTOR_INDEX_DEFAULTS,
  type VectorIndexSettings,
} from './milvusSchema.js';
import type { ChunkRecord, ChunkStore, FileLines, RankedChunk, SearchFilter, StoredChunk } from './types.js';

export interface MilvusStoreOptions {
  /** host:port (or an https:// URI for Zilliz Cloud). */
  address: string;
  /** API key (Zilliz Cloud) or "user:password". */
  token?: string;
  username?: string;
  password?: string;
  database?: string;
  /** The collection of every codebase indexed with this model and dimension. */
  collection: string;
  /** This codebase's partition key value within it. */
  codebase: string;
  dimension: number;
  index?: VectorIndexSettings;
}

const UPSERT_BATCH = 1_000;
const DELETE_BATCH = 500;

// The chunk id is read from its own field (the primary key also names the codebase), the content from search_text.
const OUTPUT_FIELDS = [...RECORD_COLUMNS.filter((column) => column !== 'id' && column !== 'content'), 'chunk_id', 'search_text', 'content_length'];

/** A search result row as a ChunkRecord, its content cut back out of the keyword text. */
function toRecord(row: Record<string, unknown>): ChunkRecord {
  const start = contentOffset({ file: String(row.file), symbol: String(row.symbol), container: String(row.container) });
  const content = String(row.search_text).slice(start, start + Number(row.content_length));
  return fromColumns({ ...row, content }, String(row.chunk_id));
}

/** Opens (creating, indexing and loading the collection if needed) one codebase's part of a Milvus collection. */
export async function openMilvusStore(options: MilvusStoreOptions): Promise<ChunkStore> {
  const { client, lite } = await connectMilvus(options);
  const store = new MilvusStore(client, options.address, options, lite);
  try {
    await store.ensureCollection();
  } catch (error) {
    await client.closeConnection();
    throw error;
  }
  return store;
}

class MilvusStore implements ChunkStore {
  readonly kind = 'milvus' as const;

  private readonly name: string;
  private readonly codebase: string;
  private readonly dimension: number;
  private readonly vectorIndex: VectorIndexSettings;
  /** `codebase == "…"`: every read, count and delete stays within this codebase's partition. */
  private readonly mine: string;
  private lastWrite = 0;

  constructor(
    private readonly client: MilvusClient,
    private readonly address: string,
    options: MilvusStoreOptions,
    private readonly lite: boolean,
  ) {
    this.name = options.collection;
    this.codebase = options.codebase;
    this.dimension = options.dimension;
    this.vectorIndex = options.index ?? {};
    this.mine = `codebase == ${milvusString(options.codebase)}`;
  }

  private guarded<T>(what: string, call: () => Promise<T>): Promise<T> {
    return guardedMilvus(this.address, `${what} on collection ${this.name}`, call, {
      load: () => loadCollection(this.client, this.name),
      setUp: () => this.setUp(),
    });
  }

  async ensureCollection(): Promise<void> {
    await this.guarded('setup', () => this.setUp());
  }

  private async setUp(): Promise<void> {
    const exists = await this.client.hasCollection({ collection_name: this.name });
    ensureOk(exists.status, 'hasCollection');
    const created = !exists.value && (await this.createCollection());
    if (!created) await this.checkCollection();
    await this.ensureIndexes(created);
    await loadCollection(this.client, this.name);
  }

  /** Creates the collection; false when a concurrent opener created it first (that one is as good as ours, once checked). */
  private async createCollection(): Promise<boolean> {
    const created = await this.client.createCollection({
      collection_name: this.name,
      timeout: DDL_TIMEOUT_MS,
      // Searches choose their level (see BOUNDED_STALENESS_MS); this is the level of calls that do not.
      consistency_level: 'Bounded',
      fields: collectionFields(this.dimension),
      functions: collectionFunctions,
      num_partitions: CODEBASE_PARTITIONS,
    });
    if (created.error_code !== 'Success' && /already exist/i.test(created.reason)) return false;
    ensureOk(created, 'createCollection');
    // Milvus Lite keeps no field properties; a server maps these fields instead of loading them into memory.
    if (!this.lite) {
      for (const field_name of MAPPED_FIELDS) {
        const properties = { 'mmap.enabled': true };
        ensureOk(await this.client.alterCollectionFieldProperties({ collection_name: this.name, field_name, properties }), `mmap on ${field_name}`);
      }
    }
    return true;
  }

  private async checkCollection(): Promise<void> {
    const described = await this.client.describeCollection({ collection_name: this.name });
    ensureOk(described.status, 'describeCollection');
    const problem = schemaProblem(described.schema as DescribedSchema, this.dimension);
    if (problem) {
      throw new StoreError(`Milvus collection ${this.name} was not made for this index: ${problem}; drop it or use another database`);
    }
  }

  /**
   * Builds the indexes the collection lacks: all of them after a create, the scalar ones on a collection an older
   * codectx made, and whatever a create that failed half-way left out. A collection this call created is
   * dropped if its indexes cannot be built, so no half-built collection is left behind.
   */
  private async ensureIndexes(createdHere: boolean): Promise<void> {
    const described = await this.client.describeIndex({ collection_name: this.name });
    const present = new Set(described.status.error_code === 'Success' ? described.index_descriptions.map((index) => index.field_name) : []);
    for (const index of collectionIndexes(this.name, this.vectorIndex)) {
      if (present.has(index.field_name)) continue;
      const result = await this.client.createIndex({ ...index, timeout: DDL_TIMEOUT_MS });
      if (result.error_code === 'Success' || /already exist|at most one distinct index/i.test(result.reason)) continue;
      if (createdHere) await this.client.dropCollection({ collection_name: this.name, timeout: DDL_TIMEOUT_MS }).catch(() => undefined);
      ensureOk(result, `createIndex on ${index.field_name}`);
    }
  }

  async upsert(chunks: StoredChunk[]): Promise<void> {
    for (const chunk of chunks) {
      if (chunk.vector.length !== this.dimension) {
        throw new StoreError(
          `Chunk ${chunk.file}:${chunk.startLine} has a ${chunk.vector.length}-dim vector; collection ${this.name} holds ${this.dimension}-dim vectors`,
        );
      }
    }
    await this.guarded('upsert', async () => {
      for (let start = 0; start < chunks.length; start += UPSERT_BATCH) {
        const data = chunks.slice(start, start + UPSERT_BATCH).map((chunk) => {
          const { id, content, ...columns } = toColumns(chunk);
          return {
            ...columns,
            pk: `${this.codebase}:${id}`,
            chunk_id: id,
            codebase: this.codebase,
            content_length: content.length,
            search_text: truncateUtf8(columns.search_text, MAX_TEXT_BYTES),
            vector: Array.from(chunk.vector),
          };
        });
        const result = await this.client.upsert({ collection_name: this.name, data });
        ensureOk(result.status, 'upsert');
        this.lastWrite = Date.now();
      }
    });
  }

  /** By primary key (the codebase's prefix + the chunk id): no scan of the file field. */
  async deleteChunks(ids: string[]): Promise<void> {
    await this.guarded('delete', async () => {
      for (let start = 0; start < ids.length; start += DELETE_BATCH) {
        const keys = ids.slice(start, start + DELETE_BATCH).map((id) => `${this.codebase}:${id}`);
        ensureOk((await this.client.delete({ collection_name: this.name, filter: `${this.mine} and ${milvusIn('pk', keys)}` })).status, 'delete');
        this.lastWrite = Date.now();
      }
    });
  }

  async deleteFiles(files: string[]): Promise<void> {
    await this.guarded('delete', async () => {
      for (let start = 0; start < files.length; start += DELETE_BATCH) {
        const filter = `${this.mine} and ${milvusFileList(files.slice(start, start + DELETE_BATCH))}`;
        ensureOk((await this.client.delete({ collection_name: this.name, filter })).status, 'delete');
        this.lastWrite = Date.now();
      }
    });
  }

  /** Milvus searches growing segments (dense and BM25) as soon as a write returns: nothing to fold in. */
  async flush(): Promise<void> {}

  count(): Promise<number> {
    return this.guarded('count', () => this.countWhere(this.mine));
  }

  async searchDense(vector: Float32Array, limit: number, filter?: SearchFilter): Promise<RankedChunk[]> {
    return this.guarded('dense search', async () => {
      const result = await this.client.search({
        collection_name: this.name,
        anns_field: 'vector',
        data: Array.from(vector),
        limit,
        filter: this.within(filter),
        metric_type: 'COSINE',
        params: { ef: Math.max(limit, this.vectorIndex.ef ?? VECTOR_INDEX_DEFAULTS.ef) },
        output_fields: OUTPUT_FIELDS,
        consistency_level: this.searchConsistency(),
      });
      ensureOk(result.status, 'search');
      return result.results.map((row) => ({ chunk: toRecord(row), score: Number(row.score) }));
    });
  }

  async searchKeyword(text: string, limit: number, filter?: SearchFilter): Promise<RankedChunk[]> {
    if (text.trim() === '') return [];
    return this.guarded('keyword search', async () => {
      const result = await this.client.search({
        collection_name: this.name,
        anns_field: 'sparse',
        data: keywordQuery(text),
        limit,
        filter: this.within(filter),
        metric_type: 'BM25',
        output_fields: OUTPUT_FIELDS,
        consistency_level: this.searchConsistency(),
      });
      ensureOk(result.status, 'search');
      // BM25 is never negative; Milvus Lite reports it negated (best first all the same), a server positive.
      const score = (row: Record<string, unknown>) => (this.lite ? Math.abs(Number(row.score)) : Number(row.score));
      return result.results.map((row) => ({ chunk: toRecord(row), score: score(row) }));
    });
  }

  async chunksAt(lines: FileLines[]): Promise<ChunkRecord[]> {
    if (lines.length === 0) return [];
    const overlapping = lines.map((at) => {
      const { definition: d } = at;
      const named = d ? ` and symbol == ${milvusString(d.symbol)} and container == ${milvusString(d.container)} and kind == ${milvusString(d.kind)}` : '';
      return `(file == ${milvusString(at.file)} and start_line <= ${at.endLine} and end_line >= ${at.startLine}${named})`;
    });
    return this.guarded('chunk lookup', async () => {
      const result = await this.client.query({
        collection_name: this.name,
        filter: `${this.mine} and (${overlapping.join(' or ')})`,
        output_fields: OUTPUT_FIELDS,
        consistency_level: this.searchConsistency(),
      });
      ensureOk(result.status, 'query');
      return result.data.map(toRecord);
    });
  }

  /** Deletes this codebase's rows; the collection, shared with other codebases, stays. */
  async drop(): Promise<void> {
    await this.guarded('drop', async () => {
      ensureOk((await this.client.delete({ collection_name: this.name, filter: this.mine })).status, 'delete');
      this.lastWrite = Date.now();
    });
  }

  async close(): Promise<void> {
    await this.client.closeConnection();
  }

  private within(filter: SearchFilter | undefined): string {
    const more = milvusExpr(filter);
    return more ? `${this.mine} and ${more}` : this.mine;
  }

  private searchConsistency(): ConsistencyLevelEnum {
    const level = Date.now() - this.lastWrite < BOUNDED_STALENESS_MS ? 'Strong' : 'Bounded';
    // By name: the SDK reads Strong's number (0) as "not given" and falls back to the collection's level.
    return level as unknown as ConsistencyLevelEnum;
  }

  // A count reads every write so far.
  private async countWhere(filter: string): Promise<number> {
    const result = await this.client.query({
      collection_name: this.name,
      filter,
      output_fields: ['count(*)'],
      consistency_level: ConsistencyLevelEnum.Strong,
    });
    ensureOk(result.status, 'query');
    return Number(result.data[0]?.['count(*)'] ?? 0);
  }
}
