import { fc, test as fcTest } from '@fast-check/vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/config.js';
import { parseConfigFile } from '../src/config/fileSchema.js';
import { ConfigError } from '../src/errors.js';

const FUZZ_RUNS = Number(process.env.FUZZ_RUNS ?? 300);

const parse = (value: unknown) => parseConfigFile(typeof value === 'string' ? value : JSON.stringify(value, null, 2), 'codectx.config.json');
const problem = (value: unknown) => {
  try {
    parse(value);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
};

describe('codectx.config.json', () => {
  it('takes a valid file', () => {
    expect(parse({ store: 'milvus', milvus: { address: 'localhost:19530' }, chunkTokens: 200, ignore: ['fixtures/'], hook: { budget: 900 } })).toMatchObject({
      store: 'milvus',
      chunkTokens: 200,
    });
  });

  // A misspelt key silently fell back to the defaults.
  it('refuses unknown keys and suggests the nearest known one', () => {
    expect(problem({ embeding: { provider: 'local' } })).toBe('codectx.config.json: unknown setting "embeding"; did you mean "embedding"?');
    expect(problem({ embedding: { provder: 'openai' } })).toBe('codectx.config.json: unknown setting "embedding.provder"; did you mean "embedding.provider"?');
    expect(problem({ frobnicate: 1 })).toMatch(/unknown setting "frobnicate"; known: \$schema, store, milvus/);
  });

  it('takes the Milvus vector index settings, and names a misspelt one', () => {
    const index = { type: 'HNSW_SQ8', M: 32, efConstruction: 256, ef: 160 };
    expect(parse({ milvus: { index } }).milvus?.index).toEqual(index);
    expect(problem({ milvus: { index: { efconstruction: 100 } } })).toBe(
      'codectx.config.json: unknown setting "milvus.index.efconstruction"; did you mean "milvus.index.efConstruction"?',
    );
    expect(problem({ milvus: { index: { type: 'IVF_FLAT' } } })).toMatch(/"milvus.index.type"/);
  });

  it('enforces types and bounds, chunkTokens at most 400 as documented', () => {
    expect(problem({ chunkTokens: 4000 })).toMatch(/"chunkTokens" Too big: expected number to be <=400/i);
    expect(problem({ chunkTokens: 2.5 })).toMatch(/"chunkTokens"/);
    expect(problem({ store: 'postgres' })).toMatch(/"store"/);
    expect(problem({ embedding: { apiKeyEnv: 'sk-live-123' } })).toMatch(/name of an environment variable/);
    expect(problem({ embedding: { concurrency: 0 } })).toMatch(/"embedding.concurrency" Too small/);
    expect(problem({ embedding: { concurrency: 33 } })).toMatch(/"embedding.concurrency" Too big/);
    expect(parse({ embedding: { concurrency: 8 } }).embedding?.concurrency).toBe(8);
    expect(problem({ maxFileBytes: -1 })).toMatch(/"maxFileBytes"/);
  });

  it('names the line and column of a JSON error', () => {
    expect(problem('{\n  "store": "lancedb",\n}')).toMatch(/^codectx\.config\.json:3:1 is not valid JSON/);
    expect(problem('{\n  "store": ')).toMatch(/^codectx\.config\.json:2:12 is not valid JSON/);
    expect(problem('[1, 2]')).toBe('codectx.config.json must hold a JSON object');
  });
});

// Whatever is in the file, loading it gives a configuration or one ConfigError line: never another error.
describe('loadConfig on random files', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'codectx-config-fuzz-'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const nearlyValid = fc.record(
    {
      store: fc.oneof(fc.constantFrom('lancedb', 'milvus'), fc.jsonValue()),
      milvus: fc.oneof(fc.record({ address: fc.oneof(fc.string(), fc.jsonValue()) }, { requiredKeys: [] }), fc.jsonValue()),
      embedding: fc.oneof(
        fc.record({ provider: fc.oneof(fc.constantFrom('local', 'openai'), fc.jsonValue()), dimensions: fc.jsonValue(), baseURL: fc.string() }, { requiredKeys: [] }),
        fc.jsonValue(),
      ),
      chunkTokens: fc.oneof(fc.integer(), fc.jsonValue()),
      ignore: fc.oneof(fc.array(fc.string()), fc.jsonValue()),
      hook: fc.jsonValue(),
    },
    { requiredKeys: [] },
  );

  fcTest.prop([fc.oneof(nearlyValid.map((value) => JSON.stringify(value)), fc.json(), fc.string({ unit: 'binary' }))], { numRuns: FUZZ_RUNS })(
    'returns a configuration or throws one ConfigError line',
    async (text) => {
      await writeFile(join(root, 'codectx.config.json'), text);
      try {
        const config = loadConfig(root, {}, {});
        expect(['lancedb', 'milvus']).toContain(config.store);
        expect(config.maxFileBytes).toBeGreaterThan(0);
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        expect((error as Error).message).not.toContain('\n');
      }
    },
  );
});
