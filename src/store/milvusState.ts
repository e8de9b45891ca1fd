import { createHash } from 'node:crypto';
import { ConsistencyLevelEnum, DataType, type MilvusClient } from '@zilliz/milvus2-sdk-node';
import { milvusIn, milvusString } from './milvusFilter.js';
import { BOUNDED_STALENESS_MS, connectMilvus, DDL_TIMEOUT_MS, ensureOk, guardedMilvus, loadCollection, type MilvusConnection } from './milvusClient.js';
import type { StateTable } from './types.js';

// Milvus caps one query's offset+limit at 16384 rows.
const QUERY_WINDOW = 16_384;
// Files are spread over buckets by path hash so they can be read range by range, each range one query.
const BUCKETS = 1 << 20;
const RANGE_TARGET = 8_192;
const WRITE_BATCH = 1_000;
// Keys one delete or lookup names at once.
const KEY_BATCH = 500;
const MAX_BODY_BYTES = 65_535;
const PARTITIONS = 64;

/** The state collection that goes with a chunk collection. */
export function stateCollectionName(collection: string): string {
  return `${collection}_files`;
}

/** Opens (creating if needed) the state collection beside a chunk collection, for one codebase in it. */
export async function openMilvusState(options: MilvusConnection & { collection: string; codebase: string }): Promise<StateTable> {
  const { client } = await connectMilvus(options);
  const table = new MilvusStateTable(client, options.address, stateCollectionName(options.collection), options.codebase);
  try {
    await table.ensure();
  } catch (error) {
    await client.closeConnection();
    throw error;
  }
  return table;
}

function bucketOf(path: string): number {
  return createHash('sha256').update(path).digest().readUInt32BE(0) % BUCKETS;
}

/**
 * Per codebase (the partition key, as in the chunk collection): one row per indexed file (key
 * "<codebase>:file:<path>", its bucket, a JSON body) and one metadata row. Milvus needs a vector field in every
 * collection: a constant 2-dim one nobody searches.
 */
class MilvusStateTable implements StateTable {
  private readonly mine: string;
  private readonly metaKey: string;
  private readonly filePrefix: string;
  private lastWrite = 0;

  constructor(
    private readonly client: MilvusClient,
    private readonly address: string,
    private readonly name: string,
    private readonly codebase: string,
  ) {
    this.mine = `codebase == ${milvusString(codebase)}`;
    this.metaKey = `${codebase}:meta`;
    this.filePrefix = `${codebase}:file:`;
  }

  private guarded<T>(what: string, call: () => Promise<T>): Promise<T> {
    return guardedMilvus(this.address, `${what} on collection ${this.name}`, call, {
      load: () => loadCollection(this.client, this.name),
      setUp: () => this.setUp(),
    });
  }

  async ensure(): Promise<void> {
    await this.guarded('setup', () => this.setUp());
  }

  private async setUp(): Promise<void> {
    const exists = await this.client.hasCollection({ collection_name: this.name });
    ensureOk(exists.status, 'hasCollection');
    if (!exists.value) await this.create();
    await loadCollection(this.client, this.name);
  }

  private async create(): Promise<void> {
    const collection_name = this.name;
    const created = await this.client.createCollection({
      collection_name,
      timeout: DDL_TIMEOUT_MS,
      // Every writer diffs against the latest state, and a reader must see what a writer just finished.
      consistency_level: 'Strong',
      num_partitions: PARTITIONS,
      fields: [
        { name: 'key', data_type: DataType.VarChar, max_length: 4_400, is_primary_key: true, autoID: false },
        { name: 'codebase', data_type: DataType.VarChar, max_length: 128, is_partition_key: true },
        { name: 'bucket', data_type: DataType.Int64 },
        { name: 'body', data_type: DataType.VarChar, max_length: MAX_BODY_BYTES },
        { name: 'unused', data_type: DataType.FloatVector, dim: 2 },
      ],
    });
    if (created.error_code !== 'Success' && !/already exist/i.test(created.reason)) ensureOk(created, 'createCollection');
    const indexed = await this.client.createIndex({
      collection_name,
      field_name: 'unused',
      index_type: 'FLAT',
      metric_type: 'L2',
      timeout: DDL_TIMEOUT_MS,
    });
    if (indexed.error_code !== 'Success' && !/already exist|at most one distinct index/i.test(indexed.reason)) {
      ensureOk(indexed, 'createIndex');
    }
  }

  readMeta(recent = false): Promise<string | undefined> {
    return this.guarded('reading index metadata', async () => {
      const rows = await this.query(`${this.mine} and key == ${milvusString(this.metaKey)}`, 1, recent);
      return rows[0] === undefined ? undefined : String(rows[0].body);
    });
  }

  writeMeta(body: string): Promise<void> {
    return this.guarded('writing index metadata', () => this.upsert([{ key: this.metaKey, bucket: -1, body }]));
  }

  /** Range by range of buckets, each sized to fit one query; a range that comes back full is split in two. */
  readFiles(): Promise<Map<string, string>> {
    return this.guarded('reading the file list', async () => {
      const files = new Map<string, string>();
      const counted = await this.client.query({ collection_name: this.name, filter: `${this.mine} and bucket >= 0`, output_fields: ['count(*)'] });
      ensureOk(counted.status, 'query');
      const total = Number(counted.data[0]?.['count(*)'] ?? 0);
      const read = async (low: number, high: number): Promise<void> => {
        const rows = await this.query(`${this.mine} and bucket >= ${low} and bucket < ${high}`, QUERY_WINDOW);
        if (rows.length >= QUERY_WINDOW && high - low > 1) {
          const middle = Math.floor((low + high) / 2);
          await read(low, middle);
          await read(middle, high);
          return;
        }
        for (const row of rows) files.set(String(row.key).slice(this.filePrefix.length), String(row.body));
      };
      const ranges = Math.max(1, Math.ceil(total / RANGE_TARGET));
      const width = Math.ceil(BUCKETS / ranges);
      for (let low = 0; low < BUCKETS; low += width) await read(low, Math.min(BUCKETS, low + width));
      return files;
    });
  }

  readFilesAt(paths: string[]): Promise<Map<string, string>> {
    return this.guarded('reading file entries', async () => {
      const files = new Map<string, string>();
      for (let start = 0; start < paths.length; start += KEY_BATCH) {
        const keys = paths.slice(start, start + KEY_BATCH).map((path) => this.filePrefix + path);
        const rows = await this.query(`${this.mine} and ${milvusIn('key', keys)}`, keys.length);
        for (const row of rows) files.set(String(row.key).slice(this.filePrefix.length), String(row.body));
      }
      return files;
    });
  }

  writeFiles(put: [string, string][], removed: string[]): Promise<void> {
    return this.guarded('writing the file list', async () => {
      await this.upsert(put.map(([path, body]) => ({ key: this.filePrefix + path, bucket: bucketOf(path), body })));
      for (let start = 0; start < removed.length; start += KEY_BATCH) {
        const keys = removed.slice(start, start + KEY_BATCH).map((path) => this.filePrefix + path);
        const filter = `${this.mine} and ${milvusIn('key', keys)}`;
        ensureOk((await this.client.delete({ collection_name: this.name, filter })).status, 'delete');
      }
    });
  }

  /** This codebase's rows go; the collection, shared with other codebases, stays. */
  clear(): Promise<void> {
    return this.guarded('clearing the file list', async () => {
      ensureOk((await this.client.delete({ collection_name: this.name, filter: this.mine })).status, 'delete');
    });
  }

  async close(): Promise<void> {
    await this.client.closeConnection();
  }

  private async upsert(rows: { key: string; bucket: number; body: string }[]): Promise<void> {
    for (let start = 0; start < rows.length; start += WRITE_BATCH) {
      const data = rows.slice(start, start + WRITE_BATCH).map((row) => ({ ...row, codebase: this.codebase, unused: [0, 0] }));
      ensureOk((await this.client.upsert({ collection_name: this.name, data })).status, 'upsert');
      this.lastWrite = Date.now();
    }
  }

  private async query(filter: string, limit: number, recent = false): Promise<Record<string, unknown>[]> {
    // Recent will do for searches, unless this handle wrote within the bounded window (read your own writes).
    const bounded = recent && Date.now() - this.lastWrite >= BOUNDED_STALENESS_MS;
    const consistency_level = bounded ? ConsistencyLevelEnum.Bounded : ConsistencyLevelEnum.Strong;
    const result = await this.client.query({ collection_name: this.name, filter, output_fields: ['key', 'body'], limit, consistency_level });
    ensureOk(result.status, 'query');
    return result.data;
  }
}
