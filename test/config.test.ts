import { fc, test as fcTest } from '@fast-check/vitest';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/config.js';
import { parseConfigFile } from '../src/config/fileSchema.js';
import { codectxHome } from '../src/config/paths.js';
import { ConfigError, UsageError } from '../src/errors.js';
import { runCli } from './helpers/cli.js';
import { writeTrustedConfig } from './helpers/trustedConfig.js';

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

  // Seen: `"baseURL": 5` reached the provider and failed as "baseURL.endsWith is not a function".
  it('checks the routing section: model entries, rules, examples, budgets, misspelt keys', () => {
    expect(problem({ routing: { models: { 'kimi-k2': { baseURL: 5 } } } })).toBe(
      'codectx.config.json: "routing.models.kimi-k2.baseURL" expected string, received number',
    );
    expect(problem({ routing: { models: { 'kimi-k2': { apikeyEnv: 'GROQ' } } } })).toBe(
      'codectx.config.json: unknown setting "routing.models.kimi-k2.apikeyEnv"; did you mean "routing.models.kimi-k2.apiKeyEnv"?',
    );
    expect(problem({ routing: { models: { 'kimi-k2': { apiKeyEnv: 'gsk_live_123-abc' } } } })).toMatch(/name of an environment variable/);
    expect(problem({ routing: { models: { 'kimi-k2': { contextWindow: '128k' } } } })).toMatch(/"routing\.models\.kimi-k2\.contextWindow" expected number/);
    expect(problem({ routing: { models: { 'kimi-k2': { pricing: [{ inputPerMTok: 1 }] } } } })).toMatch(/"routing\.models\.kimi-k2\.pricing\.0\.outputPerMTok"/);
    expect(problem({ routing: { rule: [] } })).toBe('codectx.config.json: unknown setting "routing.rule"; did you mean "routing.rules"?');
    expect(problem({ routing: { rules: { css_tweaks: 'x' } } })).toBe('codectx.config.json: "routing.rules" expected array, received object');
    expect(problem({ routing: { examples: [{ task: 'x' }] } })).toMatch(/^codectx\.config\.json: "routing\.examples\.0\.category" expected string/);
    expect(problem({ routing: { caps: { opus: { daily: 20 } } } })).toBe(
      'codectx.config.json: unknown setting "routing.caps.opus.daily"; known: dailyUsd, monthlyUsd',
    );
    expect(problem({ routing: { routes: { css_tweaks: 7 } } })).toMatch(/"routing\.routes\.css_tweaks" expected string/);
    // The README's example: re-point a model at a local server that needs no key.
    const local = { baseURL: 'http://localhost:11434/v1', apiModel: 'kimi-k2', apiKeyEnv: null };
    expect(parse({ routing: { models: { 'kimi-k2': local }, budget: { dailyUsd: 50 }, caps: { opus: { dailyUsd: 20 } } } }).routing?.models).toEqual({
      'kimi-k2': local,
    });
  });

  it('checks the context and hook sections and the model override', () => {
    expect(problem({ hook: { budget: 'x' } })).toBe('codectx.config.json: "hook.budget" expected number, received string');
    expect(problem({ hook: { budget: 0 } })).toMatch(/"hook\.budget" Too small/);
    expect(problem({ hook: 'big' })).toBe('codectx.config.json: "hook" expected object, received string');
    expect(problem({ context: { reuseThreshold: 2 } })).toMatch(/"context\.reuseThreshold" Too big/);
    expect(problem({ context: { budgetTokens: 'all' } })).toMatch(/"context\.budgetTokens" expected number/);
    expect(problem({ context: { reusethreshold: 0.6 } })).toMatch(/did you mean "context\.reuseThreshold"/);
    // Against each other, an unset one at its default (extend 0.25, reuse 0.5).
    for (const context of [{ reuseThreshold: 0.2, extendThreshold: 0.3 }, { extendThreshold: 0.6 }, { reuseThreshold: 0.2 }]) {
      expect(problem({ context })).toMatch(/^codectx\.config\.json: "context\.extendThreshold" must not be above "context\.reuseThreshold"/);
    }
    // QA round 4: the message said both were unset, with the defaults, when both were set.
    expect(problem({ context: { reuseThreshold: 0.1, extendThreshold: 0.9 } })).toBe(
      'codectx.config.json: "context.extendThreshold" must not be above "context.reuseThreshold" (extend 0.9; reuse 0.1)',
    );
    expect(problem({ context: { extendThreshold: 0.6 } })).toMatch(/\(extend 0\.6; reuse 0\.5, the default\)$/);
    expect(problem({ context: { reuseThreshold: 0.2 } })).toMatch(/\(extend 0\.25, the default; reuse 0\.2\)$/);
    // QA round 4: budgets take what --budget takes, integers from 200 to 100000, in both sections.
    for (const [section, key] of [['hook', 'budget'], ['context', 'budgetTokens']] as const) {
      for (const value of [5, 50, 199, 1.5, 250.5, 100_001]) {
        expect(problem({ [section]: { [key]: value } })).toMatch(new RegExp(`"${section}\\.${key}" (Too small|Too big|expected int)`));
      }
      for (const value of [200, 1500, 100_000]) expect(parse({ [section]: { [key]: value } })[section]).toEqual({ [key]: value });
    }
    expect(parse({ context: { reuseThreshold: 0.7, budgetTokens: 3000 } }).context).toEqual({ reuseThreshold: 0.7, budgetTokens: 3000 });
    expect(problem({ model: 5 })).toBe('codectx.config.json: "model" expected string, received number');
  });

  // `index` reads the file too: it refused nothing in the sections only `ask`, `context` or the hook used.
  it('is checked whole by loadConfig, the reader every command uses', async () => {
    const root = await mkdtemp(join(tmpdir(), 'codectx-config-whole-'));
    try {
      await writeFile(join(root, 'codectx.config.json'), JSON.stringify({ hook: { budget: 'x' } }));
      expect(() => loadConfig(root, {}, {})).toThrow(new ConfigError(`${join(root, 'codectx.config.json')}: "hook.budget" expected number, received string`));
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  // What Windows Notepad writes: it was refused as `Unexpected token '\uFEFF'`, with no line or column.
  it('takes a file that starts with a UTF-8 byte-order mark, and places errors as an editor shows them', () => {
    expect(parse('\uFEFF{"store": "milvus"}')).toEqual({ store: 'milvus' });
    expect(problem('\uFEFF{\n  "store": "lancedb",\n}')).toMatch(/^codectx\.config\.json:3:1 is not valid JSON/);
  });

  // An unclosed "[" made the pattern match nothing, silently, where -g refuses the same glob.
  it('refuses an ignore pattern whose "[" is never closed, naming it', () => {
    const unclosed = (pattern: string, at: number) =>
      `codectx.config.json: "ignore.${at}" is ${JSON.stringify(pattern)}: its "[" is not closed by "]", so it would match nothing; use "\\\\[" for a literal bracket`;
    expect(problem({ ignore: ['dist/', '[unclosed'] })).toBe(unclosed('[unclosed', 1));
    for (const pattern of ['a[]', '[]', 'x[a\\]', '[abc]y[', '[!]']) expect(problem({ ignore: [pattern] })).toBe(unclosed(pattern, 0));
    // Classes as .gitignore has them, a "]" alone, and escaped brackets stay as they were.
    const fine = ['[abc]x', '*.[ch]', '[!a]*', '[]a]', '[!]]', 'x]', 'foo\\[', '\\[literal\\]', 'a[b/c]d'];
    expect(parse({ ignore: fine }).ignore).toEqual(fine);
  });

  it('refuses an ignore pattern that ends in an unescaped backslash (the ignore package threw at the first match)', () => {
    expect(problem({ ignore: ['a\\\\\\'] })).toMatch(/"ignore\.0".*trailing "\\" escapes nothing/);
    expect(parse({ ignore: ['a\\\\'] }).ignore).toEqual(['a\\\\']);
  });

  it('names the line and column of a JSON error', () => {
    expect(problem('{\n  "store": "lancedb",\n}')).toMatch(/^codectx\.config\.json:3:1 is not valid JSON/);
    expect(problem('{\n  "store": ')).toMatch(/^codectx\.config\.json:2:12 is not valid JSON/);
    expect(problem('[1, 2]')).toBe('codectx.config.json must hold a JSON object');
  });
});

describe('settings that would be ignored (QA round 4 #15)', () => {
  it('refuses a model for the local provider, which runs its built-in model only', async () => {
    const root = await mkdtemp(join(tmpdir(), 'codectx-config-model-'));
    const savedHome = process.env.CODECTX_HOME;
    try {
      const refused = /^the local embedding provider runs all-MiniLM-L6-v2 only .* the embedding model "nope-model" would be ignored/;
      await writeFile(join(root, 'codectx.config.json'), JSON.stringify({ embedding: { provider: 'local', model: 'nope-model' } }));
      expect(() => loadConfig(root, {}, {})).toThrow(refused);
      expect(loadConfig(root, { embeddingProvider: 'openai' }, {}).embedding.model).toBe('nope-model');
      await writeFile(join(root, 'codectx.config.json'), JSON.stringify({ embedding: { model: 'nope-model' } }));
      expect(() => loadConfig(root, {}, {})).toThrow(refused);
      // The file's openai model, set aside for a run on the local provider (the file is trusted: it names a provider).
      writeTrustedConfig(root, { embedding: { provider: 'openai', model: 'text-embedding-3-large' } }, join(root, 'home'));
      process.env.CODECTX_HOME = join(root, 'home');
      expect(loadConfig(root, { embeddingProvider: 'local' }, {}).embedding).toEqual({ provider: 'local', variant: 'int8' });
      expect(loadConfig(root, {}, { CODECTX_EMBEDDING_PROVIDER: 'local' }).embedding.model).toBeUndefined();
      expect(() => loadConfig(root, { embeddingProvider: 'local', embeddingModel: 'nope-model' }, {})).toThrow(refused);
    } finally {
      if (savedHome === undefined) delete process.env.CODECTX_HOME;
      else process.env.CODECTX_HOME = savedHome;
      await rm(root, { recursive: true, force: true });
    }
  });

  // `http://root:Milvus@host:19530` was printed whole in "cannot reach Milvus at …: host name not found".
  it('refuses credentials in the Milvus address without showing them, and says where they go', async () => {
    const root = await mkdtemp(join(tmpdir(), 'codectx-config-milvus-'));
    try {
      for (const address of ['http://root:S3cret@127.0.0.1:19530', 'root:S3cret@127.0.0.1:19530', 'https://token@in01.zillizcloud.com', 'http://root:S3/cret@127.0.0.1:19530', 'root:S3/cret@127.0.0.1']) {
        const env = { CODECTX_STORE: 'milvus', CODECTX_MILVUS_ADDRESS: address };
        expect(() => loadConfig(root, {}, env)).toThrow(/^the Milvus address holds credentials \(user:password@\); .* CODECTX_MILVUS_TOKEN/);
        expect(() => loadConfig(root, {}, env)).not.toThrow(/S3\/?cret|token@/);
      }
      for (const address of ['127.0.0.1:19530', 'https://in01.zillizcloud.com:443', 'http://localhost:19530/db']) {
        expect(loadConfig(root, {}, { CODECTX_STORE: 'milvus', CODECTX_MILVUS_ADDRESS: address }).milvus.address).toBe(address);
      }
      // A trailing slash or space, as pasted from a console or an env file, is not part of the address.
      for (const [given, address] of [[' 127.0.0.1:19530\n', '127.0.0.1:19530'], ['https://in01.zillizcloud.com/', 'https://in01.zillizcloud.com']]) {
        expect(loadConfig(root, { store: 'milvus', milvusAddress: given }, {}).milvus.address).toBe(address);
      }
      expect(() => loadConfig(root, {}, { CODECTX_STORE: 'milvus', CODECTX_MILVUS_ADDRESS: '  ' })).toThrow(/needs an address/);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('refuses a codectx.config.json that is a folder', async () => {
    const root = await mkdtemp(join(tmpdir(), 'codectx-config-folder-'));
    try {
      await mkdir(join(root, 'codectx.config.json'));
      expect(() => loadConfig(root, {}, {})).toThrow(new ConfigError(`${join(root, 'codectx.config.json')} is a folder; codectx reads its settings from a file of that name`));
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe('numbers from the environment', () => {
  // The README says numbers are plain decimal integers; CODECTX_MAX_FILE_BYTES took "1.5", 1e20 and "".
  it('takes a positive decimal integer and refuses the rest with one line', async () => {
    const root = await mkdtemp(join(tmpdir(), 'codectx-config-env-'));
    expect(loadConfig(root, {}, { CODECTX_MAX_FILE_BYTES: '4096' }).maxFileBytes).toBe(4096);
    expect(loadConfig(root, {}, { CODECTX_EMBEDDING_DIMENSIONS: '256' }).embedding.dimensions).toBe(256);
    for (const value of ['1.5', '', '99999999999999999999', '1e3', ' 3', '0x10', '0', '-4']) {
      expect(() => loadConfig(root, {}, { CODECTX_MAX_FILE_BYTES: value })).toThrow(
        new ConfigError(`CODECTX_MAX_FILE_BYTES must be a positive integer, got ${JSON.stringify(value)}`),
      );
    }
    expect(() => loadConfig(root, {}, { CODECTX_EMBEDDING_DIMENSIONS: '1.5' })).toThrow(
      new ConfigError('CODECTX_EMBEDDING_DIMENSIONS must be a positive integer, got "1.5"'),
    );
    await rm(root, { recursive: true });
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
      context: fc.oneof(fc.record({ reuseThreshold: fc.jsonValue(), extendThreshold: fc.double() }, { requiredKeys: [] }), fc.jsonValue()),
      routing: fc.oneof(
        fc.record({
          models: fc.dictionary(
            fc.constantFrom('kimi-k2', 'claude-opus', 'new-model'),
            fc.record(
              {
                provider: fc.oneof(fc.constantFrom('openai-compatible', 'claude-cli'), fc.jsonValue()),
                baseURL: fc.oneof(fc.webUrl(), fc.jsonValue()),
                apiKeyEnv: fc.oneof(fc.constantFrom('MY_KEY', null), fc.jsonValue()),
                contextWindow: fc.jsonValue(),
              },
              { requiredKeys: [] },
            ),
          ),
        }),
        fc.jsonValue(),
      ),
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

// A relative CODECTX_HOME named another home from each folder: a daemon started in one folder was "not running"
// from the next, and `index` in a codebase put a home inside it.
describe('CODECTX_HOME', () => {
  it('must be absolute: a relative one is refused with one line, and nothing is created', async () => {
    const saved = process.env.CODECTX_HOME;
    try {
      process.env.CODECTX_HOME = 'relhome';
      expect(() => codectxHome()).toThrow(UsageError);
      process.env.CODECTX_HOME = '/abs/home';
      expect(codectxHome()).toBe('/abs/home');
    } finally {
      if (saved === undefined) delete process.env.CODECTX_HOME;
      else process.env.CODECTX_HOME = saved;
    }

    const cwd = await mkdtemp(join(tmpdir(), 'codectx-relhome-'));
    await writeFile(join(cwd, 'app.py'), 'def add(a, b):\n    return a + b\n');
    const refusal = "codectx: CODECTX_HOME must be an absolute path, not 'relhome': relative, it would name another home in each folder\n";
    for (const args of [['index', '.', '--quiet'], ['daemon', 'status'], ['daemon', 'start']]) {
      expect(await runCli(args, { home: 'relhome', cwd }), args.join(' ')).toEqual({ code: 2, stdout: '', stderr: refusal });
    }
    // The hook never stands between the user and the model, even with nowhere to log: no output, exit 0.
    const hook = await runCli(['hook', 'user-prompt-submit'], { home: 'relhome', cwd, input: JSON.stringify({ prompt: 'where do we add numbers', cwd }) });
    expect(hook).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(await readdir(cwd)).toEqual(['app.py']);
  });
});
