import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import * as lancedb from '@lancedb/lancedb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChunkKind } from '../src/chunk/types.js';
import { StoreError } from '../src/errors.js';
import { hybridSearch } from '../src/store/hybrid.js';
import { openLanceStore } from '../src/store/lance.js';
import { openMilvusStore } from '../src/store/milvus.js';
import type { ChunkStore, StoredChunk } from '../src/store/types.js';

/**
 * One suite, every store: the same data, queries and expectations for LanceDB and Milvus, so both behave alike.
 * Vectors are built by hand from topic directions (the dense side only needs "near" and "far").
 */

const DIM = 64;
const RUN = `${process.pid}_${Date.now()}`;
const ROOT = resolve(import.meta.dirname, '..');
const VITE_NODE = join(ROOT, 'node_modules/.bin/vite-node');
const run = promisify(execFile);

const milvusAddress = process.env.MILVUS_ADDRESS;
const inCi = process.env.CI === 'true';
if (!milvusAddress && !inCi) {
  console.warn('Milvus conformance tests skipped: MILVUS_ADDRESS is not set (start one with .ci/milvus-lite.sh start)');
}

interface StoreSpec {
  kind: 'lancedb' | 'milvus';
  /** Options a child process passes to the same open function. */
  options(table: string): Record<string, unknown>;
}

const lanceDir = mkdtempSync(join(tmpdir(), 'codectx-store-'));
const specs: StoreSpec[] = [{ kind: 'lancedb', options: (table) => ({ dir: lanceDir, table, dimension: DIM }) }];
if (milvusAddress || inCi) {
  // In CI a missing address must fail the Milvus tests, not skip them: open() then throws.
  // Every codebase of one model and dimension shares a collection: each table here is a codebase in it.
  specs.push({ kind: 'milvus', options: (codebase) => ({ address: milvusAddress ?? '', collection: `codectx_test_${RUN}`, codebase, dimension: DIM }) });
}

async function openStore(spec: StoreSpec, table: string): Promise<ChunkStore> {
  if (spec.kind === 'lancedb') return openLanceStore(spec.options(table) as never);
  if (!milvusAddress) throw new StoreError('CI=true but MILVUS_ADDRESS is not set: the Milvus conformance tests cannot run');
  return openMilvusStore(spec.options(table) as never);
}

/** A deterministic unit vector: a topic direction plus a little seeded noise. */
function vectorNear(topic: number, seed: number, noise = 0.05): Float32Array {
  let state = seed * 2654435761 + topic * 40503 + 1;
  const random = () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648 - 0.5;
  };
  const vector = new Float32Array(DIM);
  for (let i = 0; i < DIM; i++) vector[i] = random() * noise;
  vector[topic % DIM]! += 1;
  const norm = Math.hypot(...vector);
  return vector.map((value) => value / norm);
}

/** A unit vector mixing topic directions, e.g. [[6, 1], [1, 0.5]]: mostly topic 6, somewhat topic 1. */
function mix(weights: [topic: number, weight: number][]): Float32Array {
  const vector = new Float32Array(DIM);
  for (const [topic, weight] of weights) vector[topic]! += weight;
  const norm = Math.hypot(...vector);
  return vector.map((value) => value / norm);
}

function chunk(fields: Partial<StoredChunk> & { id: string; file: string; content: string }): StoredChunk {
  return {
    language: 'typescript',
    symbol: '',
    kind: 'function' as ChunkKind,
    container: '',
    startLine: 1,
    endLine: fields.content.split('\n').length,
    contentHash: `content-${fields.id}`,
    fileHash: `file-${fields.file}`,
    vector: vectorNear(0, 0),
    ...fields,
  };
}

const CORPUS: StoredChunk[] = [
  chunk({
    id: 'header',
    file: 'src/http/header.ts',
    symbol: 'parseHeaderValue',
    content: 'export function parseHeaderValue(raw: string): string[] {\n  return raw.split(";").map((part) => part.trim());\n}',
    vector: vectorNear(1, 1),
  }),
  chunk({
    id: 'query',
    file: 'src/http/query.ts',
    symbol: 'parseQueryString',
    content: 'export function parseQueryString(url: string) {\n  const value = new URL(url).search;\n  return value;\n}',
    vector: vectorNear(2, 2),
  }),
  chunk({
    id: 'login',
    file: 'src/auth/login.ts',
    symbol: 'login',
    container: 'AuthService',
    kind: 'method',
    content: 'async login(user: User) {\n  return check_password(user.name, user.secret);\n}',
    vector: vectorNear(3, 3),
  }),
  chunk({
    id: 'underscore',
    file: 'src/a_b/x.ts',
    symbol: 'x',
    kind: 'type',
    content: 'type x = number;',
    vector: vectorNear(4, 4),
  }),
  chunk({
    id: 'lookalike',
    file: 'src/aXb/y.py',
    language: 'python',
    symbol: 'Y',
    kind: 'class',
    content: 'class Y:\n    pass',
    vector: vectorNear(5, 5),
  }),
  chunk({
    id: 'readme',
    file: 'docs/readme.md',
    language: 'markdown',
    symbol: 'Usage',
    kind: 'section',
    content: '## Usage\nRun the tool from a terminal.',
    vector: vectorNear(6, 6),
  }),
];

/** The child-process script: opens the store like the test does and upserts generated chunks. */
function childScript(dir: string): string {
  const path = join(dir, 'child.ts');
  writeFileSync(
    path,
    `import { openLanceStore } from ${JSON.stringify(join(ROOT, 'src/store/lance.js'))};
import { openMilvusStore } from ${JSON.stringify(join(ROOT, 'src/store/milvus.js'))};
const [kind, optionsJson, prefix, total, batch] = process.argv.slice(2);
const options = JSON.parse(optionsJson);
const store = kind === 'lancedb' ? await openLanceStore(options) : await openMilvusStore(options);
const chunks = Array.from({ length: Number(total) }, (_, i) => {
  const vector = new Float32Array(options.dimension);
  vector[i % options.dimension] = 1;
  return {
    id: prefix + '-' + i, file: prefix + '/file' + i + '.ts', language: 'typescript', symbol: prefix + 'Symbol' + i,
    kind: 'function', container: '', startLine: 1, endLine: 1, content: 'const ' + prefix + 'token' + i + ' = ' + i + ';',
    contentHash: 'c' + i, fileHash: 'f' + i, vector,
  };
});
for (let start = 0; start < chunks.length; start += Number(batch)) await store.upsert(chunks.slice(start, start + Number(batch)));
await store.close();
`,
  );
  return path;
}

describe.each(specs)('$kind store conformance', (spec) => {
  const table = `codectx_test_${RUN}_${spec.kind}`;
  const childDir = mkdtempSync(join(tmpdir(), 'codectx-store-child-'));
  const child = childScript(childDir);
  const runChild = (prefix: string, total: number, batch: number) =>
    run(VITE_NODE, [child, spec.kind, JSON.stringify(spec.options(table)), prefix, String(total), String(batch)], {
      cwd: ROOT,
      timeout: 120_000,
    });
  let store: ChunkStore;

  beforeAll(async () => {
    store = await openStore(spec, table);
    await store.upsert(CORPUS);
  });

  afterAll(async () => {
    await store?.drop();
    await store?.close();
    rmSync(childDir, { recursive: true, force: true });
  });

  it('counts and lists what was upserted, with file hashes', async () => {
    expect(await store.count()).toBe(CORPUS.length);
    // Milvus lists nothing: a shared index's files are in its state collection (test/milvus.state.test.ts).
    expect(store.listFiles === undefined).toBe(spec.kind === 'milvus');
    if (!store.listFiles) return;
    const files = await store.listFiles();
    expect(files.size).toBe(CORPUS.length);
    expect(files.get('src/http/header.ts')).toBe('file-src/http/header.ts');
  });

  it('finds the nearest vector first, with cosine similarity as score', async () => {
    const hits = await store.searchDense(vectorNear(3, 99, 0), 3);
    expect(hits[0]!.chunk.id).toBe('login');
    expect(hits[0]!.score).toBeGreaterThan(0.95);
    expect(hits[0]!.score).toBeLessThanOrEqual(1.0001);
    expect(hits[1]!.score).toBeLessThan(hits[0]!.score);
    // A search reads back the chunk, not the vector or the hashes only indexing uses.
    const { vector: _vector, contentHash: _contentHash, fileHash: _fileHash, ...record } = CORPUS[2]!;
    expect(hits[0]!.chunk).toEqual(record);
  });

  it('finds an identifier by its exact name and by its parts', async () => {
    const exact = await store.searchKeyword('parseHeaderValue', 5);
    expect(exact[0]!.chunk.id).toBe('header');
    expect(exact[0]!.score).toBeGreaterThan(0);
    const parts = await store.searchKeyword('parse header value', 5);
    expect(parts[0]!.chunk.id).toBe('header');
    expect(parts.map((hit) => hit.chunk.id)).toContain('query');
    const snake = await store.searchKeyword('check password', 5);
    expect(snake[0]!.chunk.id).toBe('login');
    expect(await store.searchKeyword('AuthService', 5)).toHaveLength(1);
  });

  it('treats query text as words, not query syntax', async () => {
    const quoted = ['"parseHeaderValue"', '"header value"'];
    for (const text of ['parseHeaderValue(raw: "x")', 'parse* AND -header OR value~2', "'; DROP TABLE header; --", 'header:value [a TO b]', ...quoted]) {
      const hits = await store.searchKeyword(text, 5);
      expect(hits.map((hit) => hit.chunk.id)).toContain('header');
    }
    expect(await store.searchKeyword('   ', 5)).toEqual([]);
    expect(await store.searchKeyword('!!! ???', 5)).toEqual([]);
  });

  it('ranks an exact identifier match first in hybrid search, explaining both sides', async () => {
    // As an embedding often does with identifiers, the vector is vague: two other chunks are nearer than the
    // header parser, which the keyword side must lift to the top.
    const vague = mix([[6, 1], [4, 0.8], [1, 0.5]]);
    const dense = await store.searchDense(vague, 3);
    expect(dense.map((hit) => hit.chunk.id)).toEqual(['readme', 'underscore', 'header']);
    const hits = await hybridSearch(store, { vector: vague, text: 'parseHeaderValue', limit: 3 });
    expect(hits[0]!.chunk.id).toBe('header');
    expect(hits[0]!.keyword?.rank).toBe(1);
    expect(hits[0]!.dense).toEqual({ rank: 3, score: expect.closeTo(dense[2]!.score, 4) });
    const byParts = await hybridSearch(store, { vector: vague, text: 'parse header value', limit: 3 });
    expect(byParts[0]!.chunk.id).toBe('header');
  });

  it('ranks a semantic match first in hybrid search when no keyword matches', async () => {
    const hits = await hybridSearch(store, { vector: vectorNear(3, 8), text: 'sign someone on', limit: 3 });
    expect(hits[0]!.chunk.id).toBe('login');
    expect(hits[0]!.dense?.rank).toBe(1);
    expect(hits[0]!.keyword).toBeUndefined();
    expect(hits.map((hit) => hit.score)).toEqual([...hits.map((hit) => hit.score)].sort((a, b) => b - a));
  });

  it('applies path prefix, language and kind filters on both sides', async () => {
    const ids = (hits: { chunk: { id: string } }[]) => hits.map((hit) => hit.chunk.id).sort();
    const nowhere = vectorNear(9, 9);
    expect(ids(await store.searchDense(nowhere, 10, { pathPrefix: 'src/http/' }))).toEqual(['header', 'query']);
    // '_' in a prefix is a literal underscore, not a one-character wildcard.
    expect(ids(await store.searchDense(nowhere, 10, { pathPrefix: 'src/a_b/' }))).toEqual(['underscore']);
    expect(ids(await store.searchDense(nowhere, 10, { language: 'python' }))).toEqual(['lookalike']);
    expect(ids(await store.searchDense(nowhere, 10, { kind: 'section', language: 'markdown' }))).toEqual(['readme']);
    expect(ids(await store.searchKeyword('parse', 10, { pathPrefix: 'src/http/query' }))).toEqual(['query']);
    expect(await store.searchKeyword('parse', 10, { language: 'python' })).toEqual([]);
    const hybrid = await hybridSearch(store, { vector: nowhere, text: 'parse', limit: 10, filter: { kind: 'method' } });
    expect(ids(hybrid)).toEqual(['login']);
  });

  it('reads back the chunks that overlap given lines of given files, and only those', async () => {
    const lines = ['def alpha(): pass', "JWT = 'long'", "DSN = 'long'", 'def beta(): pass'];
    const parts = lines.map((content, i) => chunk({ id: `gap-${i}`, file: "src/it's.py", language: 'python', content, startLine: i + 1, endLine: i + 1 }));
    const lookalike = chunk({ id: 'gap-other', file: "src/it's.pyx", content: 'x = 1', startLine: 2, endLine: 2 });
    await store.upsert([...parts, lookalike]);
    try {
      const at = async (...spans: [string, number, number][]) =>
        (await store.chunksAt(spans.map(([file, startLine, endLine]) => ({ file, startLine, endLine })))).map((c) => [c.id, c.content]).sort();
      expect(await at(["src/it's.py", 2, 3])).toEqual([['gap-1', "JWT = 'long'"], ['gap-2', "DSN = 'long'"]]);
      expect(await at(["src/it's.py", 3, 3], ['src/http/header.ts', 2, 2])).toEqual([['gap-2', "DSN = 'long'"], ['header', CORPUS[0]!.content]]);
      expect(await at(["src/it's.py", 5, 9], ['src/nowhere.ts', 1, 1])).toEqual([]);
      expect(await store.chunksAt([])).toEqual([]);
    } finally {
      await store.deleteChunks([...parts, lookalike].map((c) => c.id));
    }
  });

  it('reads back only the named definition\'s chunks when a lookup names one', async () => {
    const piece = (id: string, symbol: string, container: string, kind: ChunkKind, line: number) =>
      chunk({ id, file: 'src/split.ts', symbol, container, kind, content: `// ${id}`, startLine: line, endLine: line });
    const rows = [
      piece('split-1', 'render', 'View', 'method', 1),
      piece('split-2', 'render', 'View', 'method', 2),
      piece('split-other-owner', 'render', 'Page', 'method', 3),
      piece('split-other-kind', 'render', 'View', 'function', 4),
      piece('split-other-name', "it's", 'View', 'method', 5),
      piece('split-3', 'render', 'View', 'method', 6),
    ];
    await store.upsert(rows);
    try {
      const lookup = (definition: { symbol: string; container: string; kind: ChunkKind }, startLine = 1, endLine = 6) =>
        store.chunksAt([{ file: 'src/split.ts', startLine, endLine, definition }]).then((found) => found.map((c) => c.id).sort());
      expect(await lookup({ symbol: 'render', container: 'View', kind: 'method' })).toEqual(['split-1', 'split-2', 'split-3']);
      expect(await lookup({ symbol: 'render', container: 'View', kind: 'method' }, 2, 5)).toEqual(['split-2']);
      expect(await lookup({ symbol: "it's", container: 'View', kind: 'method' })).toEqual(['split-other-name']);
      expect(await lookup({ symbol: 'render', container: '', kind: 'method' })).toEqual([]);
    } finally {
      await store.deleteChunks(rows.map((c) => c.id));
    }
  });

  it('replaces a chunk upserted again under the same id', async () => {
    const changed = { ...CORPUS[5]!, content: '## Usage\nRun the tool from a shell prompt.', contentHash: 'changed' };
    await store.upsert([changed]);
    expect(await store.count()).toBe(CORPUS.length);
    const hits = await store.searchKeyword('prompt', 5);
    expect(hits.map((hit) => [hit.chunk.id, hit.chunk.content])).toEqual([['readme', changed.content]]);
    expect(await store.searchKeyword('terminal', 5)).toEqual([]);
  });

  it('deletes every chunk of the given files', async () => {
    await store.upsert([chunk({ id: 'extra-1', file: 'src/gone.ts', content: 'const vanishing = 1;' })]);
    await store.upsert([chunk({ id: 'extra-2', file: 'src/gone.ts', content: 'const vanishing2 = 2;', startLine: 2 })]);
    expect(await store.count()).toBe(CORPUS.length + 2);
    await store.deleteFiles(['src/gone.ts', 'src/never-indexed.ts']);
    expect(await store.count()).toBe(CORPUS.length);
    if (store.listFiles) expect((await store.listFiles()).has('src/gone.ts')).toBe(false);
    expect(await store.searchKeyword('vanishing', 5)).toEqual([]);
  });

  it('deletes chunks by id, and only those', async () => {
    const extra = Array.from({ length: 3 }, (_, i) => chunk({ id: `by-id-${i}`, file: 'src/ids.ts', content: `const byIdToken${i} = ${i};`, startLine: i + 1 }));
    await store.upsert(extra);
    expect(await store.count()).toBe(CORPUS.length + 3);
    await store.deleteChunks(['by-id-0', 'by-id-2', 'never-stored']);
    expect(await store.count()).toBe(CORPUS.length + 1);
    expect((await store.searchKeyword('byIdToken0 byIdToken1 byIdToken2', 5)).map((hit) => hit.chunk.id)).toEqual(['by-id-1']);
    await store.deleteChunks(['by-id-1']);
    expect(await store.count()).toBe(CORPUS.length);
  });

  // 17k rows: past 10k (LanceDB's ANN index), and past the 16384 rows one Milvus query can return.
  it('takes a 17k-chunk batch, then counts, lists and searches it', async () => {
    const batch = Array.from({ length: 17_000 }, (_, i) =>
      chunk({
        id: `bulk-${i}`,
        file: `bulk/file${Math.floor(i / 2)}.ts`,
        symbol: `bulkSymbol${i}`,
        content: `export const bulkValue${i} = computeBulkValue(${i});`,
        vector: vectorNear(10 + (i % 50), i),
        startLine: (i % 2) * 10 + 1,
      }),
    );
    await store.upsert(batch);
    expect(await store.count()).toBe(CORPUS.length + 17_000);
    if (store.listFiles) {
      const files = await store.listFiles();
      expect(files.size).toBe(CORPUS.length + 8_500);
      expect(files.get('bulk/file8499.ts')).toBe('file-bulk/file8499.ts');
    }
    const exact = await store.searchKeyword('bulkValue4242', 3);
    expect(exact[0]!.chunk.id).toBe('bulk-4242');
    const dense = await store.searchDense(batch[777]!.vector, 1);
    expect(dense[0]!.chunk.id).toBe('bulk-777');
    if (spec.kind === 'lancedb') {
      // Past 10k rows LanceDB searches through an ANN index: the rest of this test runs against it.
      const db = await lancedb.connect(lanceDir);
      const indexes = await (await db.openTable(table)).listIndices();
      db.close();
      expect(indexes.map((index) => index.indexType)).toContain('IvfPq');
      expect(indexes.find((index) => index.columns.includes('file'))?.indexType).toBe('BTree');
    }
    // A row written after the table grew large enough for an ANN index is found at once on both sides.
    const late = chunk({ id: 'late', file: 'late.ts', content: 'const lateArrival = true;', vector: vectorNear(7, 1, 0) });
    await store.upsert([late]);
    expect((await store.searchDense(late.vector, 1))[0]!.chunk.id).toBe('late');
    expect((await store.searchKeyword('lateArrival', 1))[0]!.chunk.id).toBe('late');
    // Line lookups go through the file index, and see rows written after it was built.
    const lookup = await store.chunksAt([{ file: 'late.ts', startLine: 1, endLine: 1 }, { file: 'bulk/file4242.ts', startLine: 1, endLine: 11 }]);
    expect(lookup.map((c) => c.id).sort()).toEqual(['bulk-8484', 'bulk-8485', 'late']);
    await store.deleteFiles(['late.ts']);
    await store.deleteFiles(Array.from({ length: 8_500 }, (_, i) => `bulk/file${i}.ts`));
    expect(await store.count()).toBe(CORPUS.length);
  });

  it('keeps data written by another process, after that process exits', async () => {
    await runChild('restart', 20, 20);
    expect(await store.count()).toBe(CORPUS.length + 20);
    const reopened = await openStore(spec, table);
    try {
      expect(await reopened.count()).toBe(CORPUS.length + 20);
      const hits = await reopened.searchKeyword('restarttoken7', 3);
      expect(hits[0]!.chunk.file).toBe('restart/file7.ts');
    } finally {
      await reopened.close();
    }
    await store.deleteFiles(Array.from({ length: 20 }, (_, i) => `restart/file${i}.ts`));
    expect(await store.count()).toBe(CORPUS.length);
  });

  it('loses no rows to concurrent writers (two processes, and two handles in this process)', async () => {
    const second = await openStore(spec, table);
    const local = (prefix: string, handle: ChunkStore) =>
      Promise.all(
        [0, 1, 2, 3].map((part) =>
          handle.upsert(
            Array.from({ length: 50 }, (_, i) =>
              chunk({ id: `${prefix}-${part}-${i}`, file: `${prefix}/p${part}f${i}.ts`, content: `${prefix} ${part} ${i}` }),
            ),
          ),
        ),
      );
    try {
      await Promise.all([runChild('procA', 600, 100), runChild('procB', 600, 100), local('handleA', store), local('handleB', second)]);
    } finally {
      await second.close();
    }
    expect(await store.count()).toBe(CORPUS.length + 600 + 600 + 200 + 200);
    for (const file of ['procA/file599.ts', 'procB/file0.ts', 'handleA/p3f49.ts', 'handleB/p0f0.ts']) {
      expect((await store.searchDense(vectorNear(1, 1), 1, { pathPrefix: file }))[0]?.chunk.file).toBe(file);
    }
    expect((await store.searchKeyword('procBtoken321', 1))[0]!.chunk.id).toBe('procB-321');
  });

  it('flushes every write into the search indexes, and searches the same afterwards', async () => {
    await store.flush();
    if (spec.kind === 'lancedb') {
      const db = await lancedb.connect(lanceDir);
      const stats = await (await db.openTable(table)).indexStats('search_text_idx');
      db.close();
      expect(stats?.numUnindexedRows).toBe(0);
    }
    expect((await store.searchKeyword('parseHeaderValue', 1))[0]!.chunk.id).toBe('header');
    expect((await store.searchDense(CORPUS[2]!.vector, 1))[0]!.chunk.id).toBe('login');
  });

  it('drops the whole table or collection', async () => {
    const scratch = await openStore(spec, `${table}_scratch`);
    await scratch.upsert(CORPUS.slice(0, 2));
    expect(await scratch.count()).toBe(2);
    await scratch.drop();
    await scratch.close();
    const fresh = await openStore(spec, `${table}_scratch`);
    try {
      expect(await fresh.count()).toBe(0);
      if (fresh.listFiles) expect((await fresh.listFiles()).size).toBe(0);
      expect(await fresh.searchDense(vectorNear(1, 1), 5)).toEqual([]);
      expect(await fresh.searchKeyword('parseHeaderValue', 5)).toEqual([]);
    } finally {
      await fresh.drop();
      await fresh.close();
    }
  });
});

afterAll(() => rmSync(lanceDir, { recursive: true, force: true }));
