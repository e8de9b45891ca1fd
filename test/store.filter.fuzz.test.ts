import { fc, test as fcTest } from '@fast-check/vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChunkKind } from '../src/chunk/types.js';
import { StoreError } from '../src/errors.js';
import { openLanceStore } from '../src/store/lance.js';
import { openMilvusStore } from '../src/store/milvus.js';
import type { ChunkStore, StoredChunk } from '../src/store/types.js';

/**
 * The filters each store builds from file names and --under prefixes, run against the real stores on random names
 * full of quotes, backslashes, newlines, NUL, LIKE wildcards and Unicode: deleting by file removes exactly those
 * files, and a prefix filter returns exactly the rows whose file starts with it.
 */

const FUZZ_RUNS = Number(process.env.FUZZ_RUNS ?? 25);
// Each run writes, searches and deletes in a real store (under 0.1 s): bench:fuzz's many runs need more time.
const PROPERTY_TIMEOUT_MS = Math.max(120_000, FUZZ_RUNS * 300);
const DIM = 8;
const RUN = `${process.pid}_${Date.now()}`;

const milvusAddress = process.env.MILVUS_ADDRESS;
const inCi = process.env.CI === 'true';
const lanceDir = mkdtempSync(join(tmpdir(), 'codectx-filter-fuzz-'));
const kinds: ('lancedb' | 'milvus')[] = ['lancedb'];
// As in the conformance suite: skipped without a server locally, but in CI a missing address fails.
if (milvusAddress || inCi) kinds.push('milvus');

function openStore(kind: 'lancedb' | 'milvus', table: string): Promise<ChunkStore> {
  if (kind === 'lancedb') return openLanceStore({ dir: lanceDir, table, dimension: DIM });
  if (!milvusAddress) throw new StoreError('CI=true but MILVUS_ADDRESS is not set: the Milvus filter tests cannot run');
  return openMilvusStore({ address: milvusAddress, collection: table, codebase: 'fuzz', dimension: DIM });
}

// Characters that break quoting, escaping or LIKE, and code points at the edges of Unicode.
const HOSTILE = ['"', "'", '\\', '\n', '\r', '\r\n', '\0', '\t', '%', '_', '/', '[', ']', ',', '{', '}', '`', '$', '\u{10FFFF}', '\uD7FF', '\uE000', 'é', '😀', '中'];
const unit = fc.oneof(fc.constantFrom(...HOSTILE), fc.constantFrom('a', 'b', 'A'), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }));
const fileName = fc.string({ unit, minLength: 1, maxLength: 10 });
const names = fc.uniqueArray(fileName, { minLength: 1, maxLength: 12 });

function row(file: string, index: number): StoredChunk {
  const vector = new Float32Array(DIM).fill(0.1);
  vector[index % DIM] = 1;
  return {
    id: `row-${index}`,
    file,
    language: 'typescript',
    symbol: `symbol${index}`,
    kind: 'function' as ChunkKind,
    container: '',
    startLine: 1,
    endLine: 1,
    content: `const value${index} = ${index};`,
    contentHash: `content-${index}`,
    fileHash: `hash-${index}`,
    vector,
  };
}

const sorted = (values: Iterable<string>) => [...values].sort();

describe.each(kinds)('%s filters on hostile file names', (kind) => {
  const table = `codectx_filter_fuzz_${RUN}_${kind}`;
  let store: ChunkStore;
  let tried = 0;

  beforeAll(async () => {
    store = await openStore(kind, table);
  });

  afterAll(async () => {
    console.log(`${kind}: ${tried} file names tried`);
    await store?.drop();
    await store?.close();
  });

  /** The files with chunks in the store, read the way both stores can: one search returning every row. */
  const storedFiles = async (most: number) => sorted((await store.searchDense(row('', 0).vector, most + 5)).map((hit) => hit.chunk.file));

  /** Stores `files`, checks prefix filters and deletion against plain string logic, and leaves the store empty. */
  async function check(files: string[], prefixes: string[], deleted: string[]): Promise<void> {
    tried += files.length;
    await store.upsert(files.map(row));
    try {
      expect(await storedFiles(files.length)).toEqual(sorted(files));
      for (const prefix of prefixes) {
        const hits = await store.searchDense(row('', 0).vector, files.length + 5, { pathPrefix: prefix });
        expect(sorted(hits.map((hit) => hit.chunk.file)), `prefix ${JSON.stringify(prefix)}`).toEqual(
          sorted(files.filter((file) => file.startsWith(prefix))),
        );
      }
      await store.deleteFiles(deleted);
      expect(await storedFiles(files.length)).toEqual(sorted(files.filter((file) => !deleted.includes(file))));
    } finally {
      await store.deleteFiles(files);
    }
    expect(await store.count()).toBe(0);
    await store.flush();
  }

  it('deletes and filters by names with a newline, quotes, backslashes, NUL and LIKE wildcards', async () => {
    const files = ['src/a_b/x.ts', 'src/aXb/y.ts', 'src/a%b/z.ts', 'src/aYYb/w.ts', 'new\nline.ts', 'q"uo\'te.ts', 'back\\slash.ts', 'back/slash.ts', 'nul\0.ts', 'uni/é😀\u{10FFFF}.ts'];
    await check(files, ['src/a_b/', 'src/a%b/', 'new\n', 'q"uo\'', 'back\\', 'nul\0', 'uni/é😀\u{10FFFF}', 'uni/é😀'], files.slice(4));
  });

  fcTest.prop(
    [
      names.chain((files) =>
        fc.tuple(
          fc.constant(files),
          // Prefixes of stored names (cut at any code point) and unrelated strings.
          fc.array(
            fc.oneof(
              fc.tuple(fc.constantFrom(...files), fc.nat()).map(([file, cut]) => Array.from(file).slice(0, (cut % Array.from(file).length) + 1).join('')),
              fileName,
            ),
            { minLength: 1, maxLength: 4 },
          ),
          fc.subarray(files),
        ),
      ),
    ],
    { numRuns: FUZZ_RUNS },
  )('deleting by file and filtering by prefix return exactly the right rows', async ([files, prefixes, deleted]) => {
    await check(files, prefixes, deleted);
  }, PROPERTY_TIMEOUT_MS);

  // Queries reach BM25 as typed by users and agents: full-text query syntax (field:, quotes, brackets, AND/NOT,
  // wildcards) must be words to search, never an error.
  const queryUnit = fc.oneof(
    fc.constantFrom(':', '"', '(', ')', '[', ']', '{', '}', '^', '~', '*', '?', '\\', '+', '-', '!', '/', '&&', '||', ' AND ', ' OR ', ' NOT ', '\0', '\n', ' '),
    fc.constantFrom('value3', 'symbol', 'const', 'é😀'),
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 3 }),
  );
  fcTest.prop([fc.array(queryUnit, { minLength: 1, maxLength: 12 }).map((parts) => parts.join(''))], { numRuns: FUZZ_RUNS * 4 })(
    'keyword search takes any query text',
    async (query) => {
      if ((await store.count()) === 0) {
        await store.upsert(['src/a.ts', 'src/b.ts', 'src/c.ts', 'src/d.ts'].map(row));
        await store.flush();
      }
      const hits = await store.searchKeyword(query, 5);
      expect(Array.isArray(hits)).toBe(true);
      if (/\bvalue3\b/.test(query)) expect(hits.map((hit) => hit.chunk.file)).toContain('src/d.ts');
    },
    PROPERTY_TIMEOUT_MS,
  );
});

afterAll(() => rmSync(lanceDir, { recursive: true, force: true }));
