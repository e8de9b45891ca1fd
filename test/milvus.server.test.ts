import { DataType, MilvusClient } from '@zilliz/milvus2-sdk-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreError } from '../src/errors.js';
import { openMilvusStore } from '../src/store/milvus.js';
import { checkServerVersion, connectMilvus, guardedMilvus } from '../src/store/milvusClient.js';
import { collectionFields, collectionFunctions, schemaProblem, type DescribedSchema } from '../src/store/milvusSchema.js';

/**
 * What codectx checks of a Milvus server and of the collections it finds there (issue 15 item 4). The version
 * and schema rules are checked as functions; the collections against a real Milvus-API server (Milvus Lite)
 * when MILVUS_ADDRESS is set (skipped without it, except in CI).
 */

describe('checkServerVersion', () => {
  it('refuses a server older than 2.5 in one line that says why', () => {
    for (const version of ['v2.4.9', 'v2.3.0', '2.4.0-rc', 'v1.1.1']) {
      let error: unknown;
      try {
        checkServerVersion(version, 'db:19530');
      } catch (caught) {
        error = caught;
      }
      expect(error, version).toBeInstanceOf(StoreError);
      expect((error as Error).message).toBe(
        `Milvus at db:19530 is version ${version.replace(/^v/, '')}; codectx needs Milvus 2.5 or later (BM25 full-text search)`,
      );
    }
  });

  it('accepts 2.5 and later, and tells Milvus Lite apart', () => {
    expect(checkServerVersion('v2.5.0', 'x')).toEqual({ lite: false });
    expect(checkServerVersion('v2.6.4', 'x')).toEqual({ lite: false });
    expect(checkServerVersion('3.0.0', 'x')).toEqual({ lite: false });
    expect(checkServerVersion('milvus_lite-3.2.2', 'x')).toEqual({ lite: true });
  });
});

// `http://root:Milvus@host` was printed whole in "cannot reach Milvus at …"; the config refuses it, and should an
// address with credentials get past that, neither the client's message nor ours may show them.
describe('an address with credentials', () => {
  it('is never shown whole, connecting or calling', async () => {
    for (const address of ['http://root:pa/ss@127.0.0.1:9', 'root:Milvus@127.0.0.1:9']) {
      const error = await connectMilvus({ address }).then(() => undefined, (caught: unknown) => caught);
      expect(error, address).toBeInstanceOf(StoreError);
      expect((error as Error).message).toMatch(/^cannot reach Milvus at (http:\/\/)?\*\*\*@127\.0\.0\.1:9: /);
      expect((error as Error).message).not.toMatch(/pa\/ss|Milvus@|root/);
    }
    const quoting = () => Promise.reject(new Error('14 UNAVAILABLE: Name resolution failed for target dns:root:pa/ss@db:19530'));
    const failed = await guardedMilvus('http://root:pa/ss@db:19530', 'query', quoting).catch((caught: Error) => caught.message);
    expect(failed).toContain('Milvus at http://***@db:19530 is unreachable');
    expect(failed).not.toContain('pa/ss');
  }, 30_000);
});

/** A schema as describeCollection reports it, from the fields codectx creates. */
function described(dimension: number, change: (schema: DescribedSchema) => void = () => undefined): DescribedSchema {
  const schema: DescribedSchema = {
    fields: collectionFields(dimension).map((field) => ({
      name: field.name,
      data_type: DataType[field.data_type],
      is_partition_key: 'is_partition_key' in field,
      type_params: [
        ...('dim' in field ? [{ key: 'dim', value: String(field.dim) }] : []),
        ...('enable_analyzer' in field ? [{ key: 'enable_analyzer', value: 'true' }] : []),
      ],
    })),
    functions: collectionFunctions.map((fn) => ({ ...fn })),
  };
  change(schema);
  return schema;
}

describe('schemaProblem', () => {
  it('accepts the layout codectx creates', () => {
    expect(schemaProblem(described(8), 8)).toBeUndefined();
  });

  it('names what an existing collection lacks', () => {
    expect(schemaProblem(described(8), 16)).toBe('it holds 8-dim vectors, not 16');
    expect(schemaProblem(described(8, (schema) => (schema.functions = [])), 8)).toBe('it has no BM25 function from search_text to sparse');
    expect(schemaProblem(described(8, (schema) => (schema.fields = schema.fields.filter((field) => field.name !== 'file'))), 8)).toBe(
      'it has no file field of the expected type',
    );
    const unpartitioned = described(8, (schema) => (schema.fields.find((field) => field.name === 'codebase')!.is_partition_key = false));
    expect(schemaProblem(unpartitioned, 8)).toBe('its codebase field is not the partition key');
    const noAnalyzer = described(8, (schema) => (schema.fields.find((field) => field.name === 'search_text')!.type_params = []));
    expect(schemaProblem(noAnalyzer, 8)).toBe('its search_text field has no analyzer');
  });
});

const address = process.env.MILVUS_ADDRESS;
const runs = Boolean(address) || process.env.CI === 'true';
const RUN = `${process.pid}_${Date.now()}`;

describe.runIf(runs)('Milvus collections codectx finds or makes', () => {
  let client: MilvusClient;
  const names: string[] = [];
  const name = (what: string) => {
    names.push(`srv_${what}_${RUN}`);
    return names.at(-1)!;
  };

  beforeAll(async () => {
    expect(address, 'CI=true but MILVUS_ADDRESS is not set').toBeTruthy();
    client = new MilvusClient({ address: address!, logLevel: 'error' });
    await client.connectPromise;
  });

  afterAll(async () => {
    for (const collection_name of names) await client.dropCollection({ collection_name }).catch(() => undefined);
    await client.closeConnection();
  });

  const indexedFields = async (collection_name: string) => {
    const indexes = await client.describeIndex({ collection_name });
    return Object.fromEntries(indexes.index_descriptions.map((index) => [index.field_name, index.params.find((p) => p.key === 'index_type')?.value]));
  };

  it('makes a collection with scalar INVERTED indexes on file, language and kind', async () => {
    const collection = name('fresh');
    const store = await openMilvusStore({ address: address!, collection, codebase: 'c1', dimension: 8 });
    await store.close();
    expect(await indexedFields(collection)).toEqual({
      vector: 'HNSW',
      sparse: 'SPARSE_INVERTED_INDEX',
      file: 'INVERTED',
      language: 'INVERTED',
      kind: 'INVERTED',
    });
  });

  it('builds the vector index as configured: HNSW_SQ8 with its M and efConstruction, then searches it', async () => {
    const collection = name('sq8');
    const store = await openMilvusStore({ address: address!, collection, codebase: 'c1', dimension: 8, index: { type: 'HNSW_SQ8', M: 8, efConstruction: 64, ef: 200 } });
    try {
      const indexes = await client.describeIndex({ collection_name: collection, field_name: 'vector' });
      const params = Object.fromEntries(indexes.index_descriptions[0]!.params.map((p) => [p.key, p.value]));
      expect(params.index_type).toBe('HNSW_SQ');
      expect(JSON.parse(params.params!)).toEqual({ M: 8, efConstruction: 64, sq_type: 'SQ8' });
      const vector = new Float32Array(8).fill(0);
      vector[2] = 1;
      await store.upsert([
        {
          id: 'q1', file: 'src/q.ts', language: 'typescript', symbol: 'quantised', kind: 'function', container: '',
          startLine: 1, endLine: 1, content: 'export function quantised() {}', contentHash: 'h', fileHash: 'f', vector,
        },
      ]);
      expect((await store.searchDense(vector, 5)).map((hit) => hit.chunk.id)).toEqual(['q1']);
    } finally {
      await store.close();
    }
  });

  it('keeps codebases sharing a collection apart: searches, counts, lists and drops see only their own', async () => {
    const collection = name('shared');
    const open = (codebase: string) => openMilvusStore({ address: address!, collection, codebase, dimension: 8 });
    const [alpha, beta] = [await open('alpha'), await open('beta')];
    try {
      const vector = new Float32Array(8).fill(0);
      vector[1] = 1;
      // The same chunk (same id) in two codebases, as two forks of one repository hold it.
      const chunk = {
        id: 'same', file: 'src/util.ts', language: 'typescript', symbol: 'sharedHelper', kind: 'function' as const, container: '',
        startLine: 1, endLine: 1, content: 'export function sharedHelper() {}', contentHash: 'h', fileHash: 'f', vector,
      };
      await alpha.upsert([chunk, { ...chunk, id: 'only-alpha', file: 'src/alpha.ts', symbol: 'alphaOnly', content: 'export function alphaOnly() {}' }]);
      await beta.upsert([chunk]);
      expect([await alpha.count(), await beta.count()]).toEqual([2, 1]);
      expect((await beta.searchDense(vector, 5)).map((hit) => hit.chunk.file)).toEqual(['src/util.ts']);
      expect((await beta.searchKeyword('alphaOnly', 5)).map((hit) => hit.chunk.file)).not.toContain('src/alpha.ts');
      expect((await beta.searchDense(vector, 5)).map((hit) => hit.chunk.id)).toEqual(['same']);

      await alpha.deleteFiles(['src/util.ts']);
      expect((await beta.searchKeyword('sharedHelper', 5)).map((hit) => hit.chunk.id)).toEqual(['same']);
      // By id too: the primary key names the codebase, so the same chunk id in another codebase stays.
      await alpha.upsert([chunk]);
      await alpha.deleteChunks(['same']);
      expect([await alpha.count(), await beta.count()]).toEqual([1, 1]);
      await alpha.drop();
      expect([await alpha.count(), await beta.count()]).toEqual([0, 1]);
      const collections = await client.listCollections();
      expect(collections.data.map((item) => item.name)).toContain(collection);
    } finally {
      await alpha.close();
      await beta.close();
    }
  });

  it('stores the code once, inside the keyword text, and gives it back whole on both search sides', async () => {
    const collection = name('content');
    const store = await openMilvusStore({ address: address!, collection, codebase: 'c1', dimension: 8 });
    try {
      const vector = new Float32Array(8).fill(0);
      vector[3] = 1;
      const content = '// Grüße, 世界 🌍\nexport const greetingTable = {\n  de: "Grüße",\n};\n';
      const chunks = [
        { id: 'g1', file: 'src/i18n/grüße.ts', language: 'typescript', symbol: '', kind: 'block' as const, container: '', content },
        { id: 'g2', file: 'src/i18n/table.ts', language: 'typescript', symbol: 'greetingTable', kind: 'function' as const, container: 'I18n', content: `${content}// more\n` },
      ].map((chunk) => ({ ...chunk, startLine: 1, endLine: 4, contentHash: `h${chunk.id}`, fileHash: 'f', vector }));
      await store.upsert(chunks);
      const described = await client.describeCollection({ collection_name: collection });
      expect(described.schema.fields.map((field) => field.name)).not.toContain('content');
      const byId = (hits: { chunk: { id: string; content: string } }[]) => Object.fromEntries(hits.map((hit) => [hit.chunk.id, hit.chunk.content]));
      const expected = { g1: chunks[0]!.content, g2: chunks[1]!.content };
      expect(byId(await store.searchDense(vector, 5))).toEqual(expected);
      expect(byId(await store.searchKeyword('greetingTable', 5))).toEqual(expected);
    } finally {
      await store.close();
    }
  });

  it('finishes a collection a failed create left without indexes, and then stores and finds chunks', async () => {
    const collection = name('halfbuilt');
    const made = await client.createCollection({ collection_name: collection, fields: collectionFields(8), functions: collectionFunctions });
    expect(made.error_code).toBe('Success');
    const store = await openMilvusStore({ address: address!, collection, codebase: 'c1', dimension: 8 });
    try {
      expect(Object.keys(await indexedFields(collection)).sort()).toEqual(['file', 'kind', 'language', 'sparse', 'vector']);
      const vector = new Float32Array(8).fill(0);
      vector[0] = 1;
      await store.upsert([
        {
          id: 'a1', file: 'src/a.ts', language: 'typescript', symbol: 'parseHeaders', kind: 'function', container: '',
          startLine: 1, endLine: 3, content: 'export function parseHeaders() {}', contentHash: 'h', fileHash: 'f', vector,
        },
      ]);
      const hits = await store.searchKeyword('parseHeaders', 5);
      expect(hits.map((hit) => hit.chunk.id)).toEqual(['a1']);
      expect(hits[0]!.score).toBeGreaterThan(0);
    } finally {
      await store.close();
    }
  });

  it('refuses, in one line, a collection of another layout under the same name', async () => {
    const collection = name('foreign');
    const made = await client.createCollection({
      collection_name: collection,
      fields: [
        { name: 'pk', data_type: DataType.Int64, is_primary_key: true, autoID: true },
        { name: 'embedding', data_type: DataType.FloatVector, dim: 8 },
      ],
    });
    expect(made.error_code).toBe('Success');
    const opened = openMilvusStore({ address: address!, collection, codebase: 'c1', dimension: 8 });
    await expect(opened).rejects.toThrow(StoreError);
    await expect(opened).rejects.toThrow(
      new RegExp(`^Milvus at .+: Milvus collection ${collection} was not made for this index: it has no pk, chunk_id, codebase, file, .+ fields of the expected type; drop it or use another database$`),
    );
  });
});
