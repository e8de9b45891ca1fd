import './quietLance.js';
import * as lancedb from '@lancedb/lancedb';
import { Field, FixedSizeList, Float32, Int32, Schema, Utf8 } from 'apache-arrow';
import { describeError, StoreError } from '../errors.js';
import { fromColumns, RECORD_COLUMNS, toColumns } from './columns.js';
import { keywordQuery } from './keywordText.js';
import { lanceWhere, sqlFileList, sqlString } from './lanceFilter.js';
import type { ChunkRecord, FileLines, ListingStore, RankedChunk, SearchFilter, StoredChunk } from './types.js';

export interface LanceStoreOptions {
  /** Directory holding the LanceDB database (one table per codebase inside). */
  dir: string;
  table: string;
  dimension: number;
  /** How long writes must have stopped before what waits is folded (IDLE_FOLD_MS; tests shorten it). */
  idleFoldMs?: number;
}

const FTS_COLUMN = 'search_text';
// Code is not prose: no stemming or stop words (`get`, `set`, `is` are real identifiers), lowercase to match parts.
const FTS_OPTIONS = { baseTokenizer: 'simple', lowercase: true, stem: false, removeStopWords: false, withPosition: false } as const;
// Rows outside the full-text index are still found, by a flat scan whose BM25 figures are not comparable with
// the index's; optimize() folds them in. But it also compacts, rewriting every small fragment: in practice the
// whole table (100k chunks: ~165 MB written, ~0.7 s), and each rewrite left a full copy on disk. So a flush folds
// only once a share of the table waits, and a long run folds as the table grows by a quarter (geometric, so the
// rewrites add up to a few table sizes), never for fewer rows than a flat scan handles quickly.
const UNINDEXED_SHARE_BEFORE_FLUSH = 0.02;
const UNINDEXED_SHARE_WHILE_WRITING = 0.25;
const UNINDEXED_ROWS_WHILE_WRITING = 5_000;
// Each write adds a fragment, and every query opens every fragment: fold once this many pile up, so a day of
// edits in the daemon does not slow queries down (one table rewrite per ~this many edits).
const MAX_FRAGMENTS = 24;
// Below those bounds queries still pay for what waits: a 101k-chunk index after 21 saves of large files (23
// fragments, 1,932 rows outside the indexes: under both bounds) answered through the daemon in p50 46-50 ms, and in
// 23-28 ms once folded (in-process: keyword side 6 -> 17 ms, dense 12 -> 18, line lookups 6 -> 12). So once writes
// stop for a while, a store folds what waits, if that is this much, and trains the vector index's segments into
// one: a quiet spell costs one table rewrite and one retraining at most, and a burst of saves none until it ends.
const IDLE_FOLD_MS = 30_000;
const IDLE_FOLD_FRAGMENTS = 8;
const IDLE_FOLD_ROWS = 500;
// Versions older than this, and the files only they use, are deleted when folding (LanceDB's default keeps them
// a week). Recent ones stay for readers in other processes that may still be on them.
const KEEP_OLD_VERSIONS_MS = 10 * 60_000;
const DELETE_BATCH = 500;
// Below this a flat scan is fast enough and exact; above it an ANN index keeps dense search in milliseconds
// (bench/store.mjs: flat scan of 100k x 384 took ~250 ms on 2 busy cores).
const VECTOR_INDEX_MIN_ROWS = 10_000;
// IVF_PQ measured best here (random 384-dim vectors): ~2 ms a query at 30k-100k rows, where IVF_HNSW_SQ gave
// recall@10 0.35 at any ef. PQ's quantization costs recall (0.58 at 30k); re-ranking 5x the candidates by their
// full vectors lifts it to 0.77 for under a millisecond, and nprobes beyond the default changed nothing. With
// MiniLM's vectors of real code (102k chunks, 20 queries, distinct contents found of the exact top 100): refine 0
// 0.50, 2 0.66, 5 0.82 (top 3: 0.92), 10 0.91 (0.97) for 5, 7, 10, 18 ms a dense search. Sub-vectors of 8
// dimensions instead of LanceDB's 16 gave 0.92 at refine 3 and 0.98 at refine 5 for the same dense time; with
// refine 3, bench:store on a quiet machine: upsert 3,400 → 3,000 chunks/s, flush 3.6 → 4.1 s, hybrid p50 13.7 →
// 16.3 ms, recall@10 of random vectors 0.59 → 0.67. Not taken: recall buys no ranked results. The eleven dev
// repositories' cases walked in one 58k-chunk index, the other repositories as distractors, scored line@5 0.525
// with this index and 0.522 with an exact dense side (bench/quality/RESULTS.md): fusion with BM25 covers the misses.
// k-means of 10 rounds instead of LanceDB's 50: at 96k chunks of real code the same recall of the exact top 10
// (1.00) and top 100 (0.78 vs 0.79) for the same dense time, trained in 10-15 s instead of 40-46 on two busy cores.
const vectorIndex = () => lancedb.Index.ivfPq({ distanceType: 'cosine', maxIterations: 10 });
const VECTOR_INDEX = 'vector_idx';
// Each fold indexes the rows written since as a new segment of the vector index, and LanceDB's compaction never
// merges fragments that different segments cover (lance-format/lance#8742): a 58k-chunk index walked through 323
// commits ended with 105 segments over 105 fragments, and a dense search took 71 ms instead of 17. Past this many
// segments the vector index is trained again over the whole table (which also lifts its recall: it was trained on
// the first 10k rows), and the next fold compacts the fragments it then covers. bench/aging.mjs shows the life.
const MAX_VECTOR_SEGMENTS = 8;
// Line lookups (a joined result's gaps, the rest of a split definition) and deletes name files: at 100k chunks a
// B-tree on `file` takes a search's hybrid p50 from ~31 to ~29 ms (96k chunks of real code, in-process). Built with
// the ANN index, as below that size a scan is as quick; optimize() keeps both up to date.
const FILE_COLUMN = 'file';
const DENSE_REFINE_FACTOR = 5;

function chunkSchema(dimension: number): Schema {
  const text = (name: string) => new Field(name, new Utf8(), false);
  return new Schema([
    text('id'),
    text('file'),
    text('language'),
    text('symbol'),
    text('kind'),
    text('container'),
    new Field('start_line', new Int32(), false),
    new Field('end_line', new Int32(), false),
    text('content'),
    text('content_hash'),
    text('file_hash'),
    text(FTS_COLUMN),
    new Field('vector', new FixedSizeList(dimension, new Field('item', new Float32(), true)), false),
  ]);
}

/** Runs a LanceDB call, turning its multi-line errors into one StoreError line. */
async function guarded<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof StoreError) throw error;
    throw new StoreError(`LanceDB ${what} failed: ${describeError(error)}`, 1, { cause: error });
  }
}

/** Opens (creating if needed) the LanceDB table of one codebase. */
export async function openLanceStore(options: LanceStoreOptions): Promise<ListingStore> {
  const { dir, table: name, dimension } = options;
  // Interval 0: every read checks for newer versions, so a search process sees what an indexer process wrote.
  const db = await guarded(`open of ${dir}`, () => lancedb.connect(dir, { readConsistencyInterval: 0 }));
  const table = await guarded(`open of table ${name}`, () =>
    db.createEmptyTable(name, chunkSchema(dimension), { mode: 'create', existOk: true }),
  );
  const schema = await guarded(`reading table ${name}`, () => table.schema());
  const stored = schema.fields.find((field) => field.name === 'vector')?.type as FixedSizeList | undefined;
  if (stored?.listSize !== dimension) {
    throw new StoreError(
      `LanceDB table ${name} holds ${stored?.listSize ?? 'no'}-dim vectors, not ${dimension}: reindex with --force or use another table`,
    );
  }
  const store = new LanceStore(db, table, name, dimension, options.idleFoldMs ?? IDLE_FOLD_MS);
  await store.ensureFtsIndex();
  return store;
}

class LanceStore implements ListingStore {
  readonly kind = 'lancedb' as const;
  // One write at a time per handle: concurrent commits on one table would only retry against each other.
  private writes: Promise<unknown> = Promise.resolve();
  private largeIndexed = false;
  private retraining: Promise<void> | undefined;
  private idleFold: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: lancedb.Connection,
    private readonly table: lancedb.Table,
    private readonly name: string,
    private readonly dimension: number,
    private readonly idleFoldMs: number,
  ) {}

  async ensureFtsIndex(): Promise<void> {
    const indices = await guarded('listing indexes', () => this.table.listIndices());
    if (indices.some((index) => index.columns.includes(FTS_COLUMN))) return;
    try {
      await this.table.createIndex(FTS_COLUMN, { config: lancedb.Index.fts(FTS_OPTIONS), replace: false });
    } catch (error) {
      // Another process may have created it between our check and our create: that one is as good.
      const again = await guarded('listing indexes', () => this.table.listIndices());
      if (!again.some((index) => index.columns.includes(FTS_COLUMN))) {
        throw new StoreError(`LanceDB full-text index creation failed: ${describeError(error)}`, 1, { cause: error });
      }
    }
  }

  async upsert(chunks: StoredChunk[]): Promise<void> {
    if (chunks.length === 0) return;
    for (const chunk of chunks) {
      if (chunk.vector.length !== this.dimension) {
        throw new StoreError(
          `Chunk ${chunk.file}:${chunk.startLine} has a ${chunk.vector.length}-dim vector; table ${this.name} holds ${this.dimension}-dim vectors`,
        );
      }
    }
    const rows = chunks.map((chunk) => ({ ...toColumns(chunk), vector: chunk.vector }));
    return this.write('upsert', async () => {
      await this.table.mergeInsert('id').whenMatchedUpdateAll().whenNotMatchedInsertAll().execute(rows);
      await this.indexOnceLarge();
      await this.foldIfBehind(UNINDEXED_SHARE_WHILE_WRITING, UNINDEXED_ROWS_WHILE_WRITING);
    });
  }

  async deleteChunks(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    return this.write('delete', async () => {
      for (let start = 0; start < ids.length; start += DELETE_BATCH) {
        await this.table.delete(`id IN (${ids.slice(start, start + DELETE_BATCH).map(sqlString).join(', ')})`);
      }
    });
  }

  async deleteFiles(files: string[]): Promise<void> {
    if (files.length === 0) return;
    return this.write('delete', async () => {
      for (let start = 0; start < files.length; start += DELETE_BATCH) {
        await this.table.delete(sqlFileList(files.slice(start, start + DELETE_BATCH)));
      }
    });
  }

  async listFiles(): Promise<Map<string, string>> {
    return guarded('listing files', async () => {
      const files = new Map<string, string>();
      for await (const batch of this.table.query().select(['file', 'file_hash'])) {
        const file = batch.getChild('file');
        const hash = batch.getChild('file_hash');
        for (let row = 0; row < batch.numRows; row++) files.set(String(file?.get(row)), String(hash?.get(row)));
      }
      return files;
    });
  }

  count(): Promise<number> {
    return guarded('count', () => this.table.countRows());
  }

  async flush(): Promise<void> {
    await this.write('optimize', async () => {
      if ((await this.fragments()) > MAX_FRAGMENTS) await this.fold();
      else await this.foldIfBehind(UNINDEXED_SHARE_BEFORE_FLUSH, 1);
    });
    this.armIdleFold();
  }

  async searchDense(vector: Float32Array, limit: number, filter?: SearchFilter): Promise<RankedChunk[]> {
    return guarded('dense search', async () => {
      let query = this.table
        .vectorSearch(vector)
        .distanceType('cosine')
        .refineFactor(DENSE_REFINE_FACTOR)
        .select([...RECORD_COLUMNS, '_distance'])
        .limit(limit);
      const where = lanceWhere(filter);
      if (where) query = query.where(where);
      const rows = (await query.toArray()) as Record<string, unknown>[];
      return rows.map((row) => ({ chunk: fromColumns(row), score: 1 - Number(row._distance) }));
    });
  }

  async searchKeyword(typed: string, limit: number, filter?: SearchFilter): Promise<RankedChunk[]> {
    // LanceDB reads a text wrapped in double quotes as a phrase, which an index without positions refuses (`""`,
    // `"header value"` failed the search); the tokenizer drops quotes anyway, so the words searched are the same.
    const text = typed.replaceAll('"', ' ');
    if (text.trim() === '') return [];
    return guarded('keyword search', async () => {
      let query = this.table
        .query()
        .fullTextSearch(keywordQuery(text), { columns: FTS_COLUMN })
        .select([...RECORD_COLUMNS, '_score'])
        .limit(limit);
      const where = lanceWhere(filter);
      if (where) query = query.where(where);
      const rows = (await query.toArray()) as Record<string, unknown>[];
      // Indexed and flat-scanned rows come back merged but not in score order.
      return rows
        .map((row) => ({ chunk: fromColumns(row), score: Number(row._score) }))
        .sort((a, b) => b.score - a.score);
    });
  }

  async chunksAt(lines: FileLines[]): Promise<ChunkRecord[]> {
    if (lines.length === 0) return [];
    const overlapping = lines.map((at) => {
      const { definition: d } = at;
      const named = d ? ` AND symbol = ${sqlString(d.symbol)} AND container = ${sqlString(d.container)} AND kind = ${sqlString(d.kind)}` : '';
      return `(file = ${sqlString(at.file)} AND start_line <= ${at.endLine} AND end_line >= ${at.startLine}${named})`;
    });
    // The leading IN lets the file index narrow the rows first; an OR of ranges alone was scanned (at 101k chunks,
    // 20 ranges naming their definition: 19 ms alone, 5 ms behind the IN).
    const where = `${sqlFileList([...new Set(lines.map((at) => at.file))])} AND (${overlapping.join(' OR ')})`;
    return guarded('chunk lookup', async () => {
      const rows = (await this.table.query().where(where).select([...RECORD_COLUMNS]).toArray()) as Record<string, unknown>[];
      return rows.map((row) => fromColumns(row));
    });
  }

  async drop(): Promise<void> {
    clearTimeout(this.idleFold);
    await this.writes.catch(() => undefined);
    await this.retraining;
    await guarded(`drop of table ${this.name}`, async () => {
      const names = await this.db.tableNames();
      if (names.includes(this.name)) await this.db.dropTable(this.name);
    });
  }

  async close(): Promise<void> {
    clearTimeout(this.idleFold);
    await this.writes.catch(() => undefined);
    await this.retraining;
    this.table.close();
    this.db.close();
  }

  private write(what: string, call: () => Promise<void>): Promise<void> {
    clearTimeout(this.idleFold);
    const next = this.writes.catch(() => undefined).then(() => guarded(`${what} on table ${this.name}`, call));
    this.writes = next;
    return next;
  }

  /**
   * Builds the ANN index and the file index once the table is large enough (a table indexed before the file index
   * existed gets it on its next write). Rows added later stay searchable (LanceDB scans unindexed rows) and
   * optimize() folds them into the indexes. Retraining as the table doubled was measured too (bench/store.mjs,
   * 100k rows): no better recall, half the upsert throughput.
   */
  private async indexOnceLarge(): Promise<void> {
    if (this.largeIndexed) return;
    const indexed = new Set((await this.table.listIndices()).flatMap((index) => index.columns));
    if (indexed.has('vector') && indexed.has(FILE_COLUMN)) {
      this.largeIndexed = true;
      return;
    }
    if ((await this.table.countRows()) < VECTOR_INDEX_MIN_ROWS) return;
    if (!indexed.has('vector')) await this.table.createIndex('vector', { config: vectorIndex() });
    if (!indexed.has(FILE_COLUMN)) await this.table.createIndex(FILE_COLUMN, { config: lancedb.Index.btree() });
    this.largeIndexed = true;
  }

  /** See IDLE_FOLD_MS. The timer keeps no process alive: a CLI run ends as before, a daemon's store folds. */
  private armIdleFold(): void {
    this.idleFold = setTimeout(() => {
      void this.write('idle fold', async () => {
        const fragments = await this.fragments();
        const waiting = (await this.table.indexStats(`${FTS_COLUMN}_idx`))?.numUnindexedRows ?? 0;
        if (fragments >= IDLE_FOLD_FRAGMENTS || waiting >= IDLE_FOLD_ROWS) await this.fold();
        // Each fold indexes its rows as a segment of their own, and dense search pays for every segment (101k
        // chunks: 11.6 ms at two, 16.7 at three): a quiet spell is the time to train them into one.
        if (!this.retraining && (await this.vectorSegments()) > 1) this.retrain();
      }).catch(() => undefined);
    }, this.idleFoldMs);
    this.idleFold.unref();
  }

  private async fragments(): Promise<number> {
    return (await this.table.stats()).fragmentStats.numFragments;
  }

  /** Segments of the vector index (0 before it exists): each fold adds one, see MAX_VECTOR_SEGMENTS. */
  private async vectorSegments(): Promise<number> {
    return (await this.table.indexStats(VECTOR_INDEX))?.numIndices ?? 0;
  }

  /** Folds waiting rows into the indexes (compacting the table) once `share` of it, and at least `minRows`, wait. */
  private async foldIfBehind(share: number, minRows: number): Promise<void> {
    const stats = await this.table.indexStats(`${FTS_COLUMN}_idx`);
    if (!stats) return;
    const waiting = stats.numUnindexedRows;
    if (waiting < minRows || waiting < share * (waiting + stats.numIndexedRows)) return;
    await this.fold();
  }

  /** Compacts fragments, folds waiting rows into the indexes, and deletes versions no reader needs any more. */
  private async fold(): Promise<void> {
    if (this.retraining) {
      // A fold's index update would preempt the retraining's commit, so rows wait (still searchable) for a later
      // fold; but under a stream of writes (bench/aging.mjs: a save every 30 ms) waiting fragments slowed queries
      // 3x before it finished, so past twice the bound the writes wait for it instead.
      if ((await this.fragments()) <= 2 * MAX_FRAGMENTS) return;
      await this.retraining;
    }
    await this.table.optimize({ cleanupOlderThan: new Date(Date.now() - KEEP_OLD_VERSIONS_MS) });
    if ((await this.vectorSegments()) > MAX_VECTOR_SEGMENTS) this.retrain();
  }

  /**
   * Trains the vector index again over every row, as one segment. Not awaited by the write that started it: the
   * daemon runs one index run at a time, and another codebase's save must not wait the ~10 s this takes at 100k
   * chunks. LanceDB commits the new index over writes made meanwhile (appends and deletes; they stay unindexed until
   * the next fold), but a fold's own index update would preempt it, so folds wait. A failure leaves the segmented
   * index, which answers as well, and the next fold tries again.
   */
  private retrain(): void {
    this.retraining = this.table
      .createIndex('vector', { config: vectorIndex(), replace: true })
      .catch(() => undefined)
      .finally(() => (this.retraining = undefined));
  }
}
