import { DataType, MilvusClient } from '@zilliz/milvus2-sdk-node';
import { StoreError } from '../errors.js';
import { fromColumns, RECORD_COLUMNS, toColumns } from './columns.js';
import { keywordQuery } from './keywordText.js';
import { milvusExpr, milvusFileList, milvusString } from './milvusFilter.js';
import { connectMilvus, DDL_TIMEOUT_MS, ensureOk, guardedMilvus, truncateUtf8 } from './milvusClient.js';
import type { ChunkStore, RankedChunk, SearchFilter, StoredChunk } from './types.js';

export interface MilvusStoreOptions {
  /** host:port (or an https:// URI for Zilliz Cloud). */
  address: string;
  /** API key (Zilliz Cloud) or "user:password". */
  token?: string;
  username?: string;
  password?: string;
  database?: string;
  collection: string;
  dimension: number;
}

// Milvus's VarChar ceiling; longer text is cut (content of a chunk that large is rare: the chunker splits big units).
const MAX_TEXT_BYTES = 65_535;
const ID_FIELDS = { id: 512, file: 4_096, language: 64, symbol: 1_024, kind: 32, container: 1_024, hash: 128 };
// Milvus caps one query's offset+limit at 16384 rows.
const QUERY_WINDOW = 16_384;
const UPSERT_BATCH = 1_000;
const DELETE_BATCH = 500;
// Milvus Lite returns the primary key reliably only as an output field, so a copy of it is stored and read back.
const OUTPUT_FIELDS = [...RECORD_COLUMNS.filter((column) => column !== 'id'), 'chunk_id'];

function collectionFields(dimension: number) {
  const text = (name: string, max_length: number) => ({ name, data_type: DataType.VarChar, max_length });
  return [
    { ...text('id', ID_FIELDS.id), is_primary_key: true, autoID: false },
    text('chunk_id', ID_FIELDS.id),
    text('file', ID_FIELDS.file),
    text('language', ID_FIELDS.language),
    text('symbol', ID_FIELDS.symbol),
    text('kind', ID_FIELDS.kind),
    text('container', ID_FIELDS.container),
    { name: 'start_line', data_type: DataType.Int64 },
    { name: 'end_line', data_type: DataType.Int64 },
    text('content', MAX_TEXT_BYTES),
    text('content_hash', ID_FIELDS.hash),
    text('file_hash', ID_FIELDS.hash),
    {
      ...text('search_text', MAX_TEXT_BYTES),
      enable_analyzer: true,
      // Code is not prose: no stemming or stop words, lowercase so identifier parts match queries.
      analyzer_params: { tokenizer: 'standard', filter: ['lowercase'] },
    },
    { name: 'sparse', data_type: DataType.SparseFloatVector },
    { name: 'vector', data_type: DataType.FloatVector, dim: dimension },
  ];
}

/** Opens (creating, indexing and loading if needed) the Milvus collection of one codebase. */
export async function openMilvusStore(options: MilvusStoreOptions): Promise<ChunkStore> {
  const client = await connectMilvus(options);
  const store = new MilvusStore(client, options.address, options.collection, options.dimension);
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

  constructor(
    private readonly client: MilvusClient,
    private readonly address: string,
    private readonly name: string,
    private readonly dimension: number,
  ) {}

  private guarded<T>(what: string, call: () => Promise<T>): Promise<T> {
    return guardedMilvus(this.address, `${what} on collection ${this.name}`, call);
  }

  async ensureCollection(): Promise<void> {
    const collection_name = this.name;
    await this.guarded('setup', async () => {
      const exists = await this.client.hasCollection({ collection_name });
      ensureOk(exists.status, 'hasCollection');
      if (!exists.value) await this.createCollection();
      else await this.checkDimension();
      ensureOk(await this.client.loadCollection({ collection_name, timeout: DDL_TIMEOUT_MS }), 'loadCollection');
    });
  }

  private async createCollection(): Promise<void> {
    const collection_name = this.name;
    const created = await this.client.createCollection({
      collection_name,
      timeout: DDL_TIMEOUT_MS,
      // Strong: a search right after an upsert sees it (the indexer and searches may run back to back).
      consistency_level: 'Strong',
      fields: collectionFields(this.dimension),
      functions: [
        { name: 'search_text_bm25', type: 'BM25', input_field_names: ['search_text'], output_field_names: ['sparse'], params: {} },
      ],
    });
    // A concurrent opener may have created it first: that collection is as good as ours.
    if (created.error_code !== 'Success' && !/already exist/i.test(created.reason)) ensureOk(created, 'createCollection');
    const indexed = await this.client.createIndex([
      {
        collection_name,
        field_name: 'vector',
        index_type: 'HNSW',
        metric_type: 'COSINE',
        params: { M: 16, efConstruction: 200 },
        timeout: DDL_TIMEOUT_MS,
      },
      {
        collection_name,
        field_name: 'sparse',
        index_type: 'SPARSE_INVERTED_INDEX',
        metric_type: 'BM25',
        timeout: DDL_TIMEOUT_MS,
      },
    ]);
    if (indexed.error_code !== 'Success' && !/already exist|at most one distinct index/i.test(indexed.reason)) {
      ensureOk(indexed, 'createIndex');
    }
  }

  private async checkDimension(): Promise<void> {
    const described = await this.client.describeCollection({ collection_name: this.name });
    ensureOk(described.status, 'describeCollection');
    const vector = described.schema.fields.find((field) => field.name === 'vector');
    const dim = Number(vector?.type_params?.find((param) => param.key === 'dim')?.value ?? vector?.dim);
    if (dim !== this.dimension) {
      throw new StoreError(
        `Milvus collection ${this.name} holds ${dim}-dim vectors, not ${this.dimension}: reindex with --force or use another collection`,
      );
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
          const columns = toColumns(chunk);
          return {
            ...columns,
            chunk_id: columns.id,
            content: truncateUtf8(columns.content, MAX_TEXT_BYTES),
            search_text: truncateUtf8(columns.search_text, MAX_TEXT_BYTES),
            vector: Array.from(chunk.vector),
          };
        });
        const result = await this.client.upsert({ collection_name: this.name, data });
        ensureOk(result.status, 'upsert');
      }
    });
  }

  async deleteFiles(files: string[]): Promise<void> {
    await this.guarded('delete', async () => {
      for (let start = 0; start < files.length; start += DELETE_BATCH) {
        const filter = milvusFileList(files.slice(start, start + DELETE_BATCH));
        ensureOk((await this.client.delete({ collection_name: this.name, filter })).status, 'delete');
      }
    });
  }

  /**
   * Every (file, file_hash). One query returns at most 16384 rows and Milvus Lite ignores ordering, so the id
   * space is split recursively at the median id of a sample until each range fits in one query.
   */
  async listFiles(): Promise<Map<string, string>> {
    return this.guarded('listing files', async () => {
      const files = new Map<string, string>();
      const collect = async (range: string): Promise<void> => {
        const rows = await this.queryRows(range, ['chunk_id', 'file', 'file_hash'], QUERY_WINDOW);
        if (rows.length < QUERY_WINDOW || (await this.countWhere(range)) <= QUERY_WINDOW) {
          for (const row of rows) files.set(String(row.file), String(row.file_hash));
          return;
        }
        const ids = rows.map((row) => String(row.chunk_id)).sort();
        const median = milvusString(ids[Math.floor(ids.length / 2)]!);
        const within = range === '' ? '' : `(${range}) and `;
        await collect(`${within}id < ${median}`);
        await collect(`${within}id >= ${median}`);
      };
      await collect('');
      return files;
    });
  }

  /** Milvus searches growing segments (dense and BM25) as soon as a write returns: nothing to fold in. */
  async flush(): Promise<void> {}

  count(): Promise<number> {
    return this.guarded('count', () => this.countWhere(''));
  }

  async searchDense(vector: Float32Array, limit: number, filter?: SearchFilter): Promise<RankedChunk[]> {
    return this.guarded('dense search', async () => {
      const result = await this.client.search({
        collection_name: this.name,
        anns_field: 'vector',
        data: Array.from(vector),
        limit,
        filter: milvusExpr(filter),
        metric_type: 'COSINE',
        params: { ef: Math.max(limit, 64) },
        output_fields: OUTPUT_FIELDS,
      });
      ensureOk(result.status, 'search');
      return result.results.map((row) => ({ chunk: fromColumns(row, String(row.chunk_id)), score: Number(row.score) }));
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
        filter: milvusExpr(filter),
        metric_type: 'BM25',
        output_fields: OUTPUT_FIELDS,
      });
      ensureOk(result.status, 'search');
      // BM25 is never negative; Milvus Lite reports it negated (best first all the same), a server positive.
      return result.results.map((row) => ({ chunk: fromColumns(row, String(row.chunk_id)), score: Math.abs(Number(row.score)) }));
    });
  }

  async drop(): Promise<void> {
    await this.guarded('drop', async () => {
      const exists = await this.client.hasCollection({ collection_name: this.name });
      ensureOk(exists.status, 'hasCollection');
      if (exists.value) {
        ensureOk(await this.client.dropCollection({ collection_name: this.name, timeout: DDL_TIMEOUT_MS }), 'dropCollection');
      }
    });
  }

  async close(): Promise<void> {
    await this.client.closeConnection();
  }

  private async queryRows(filter: string, output_fields: string[], limit: number): Promise<Record<string, unknown>[]> {
    const result = await this.client.query({ collection_name: this.name, filter, output_fields, ...(limit > 0 ? { limit } : {}) });
    ensureOk(result.status, 'query');
    return result.data;
  }

  private async countWhere(filter: string): Promise<number> {
    const rows = await this.queryRows(filter, ['count(*)'], 0);
    return Number(rows[0]?.['count(*)'] ?? 0);
  }
}
