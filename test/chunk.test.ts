/**
 * The chunker on a realistic fixture per language: exact line ranges, kinds, symbols and containers, so any
 * change to chunk boundaries shows up here (and should come with a CHUNKER_VERSION bump).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createChunker, languageForPath, supportedLanguages, type Chunker } from '../src/chunk/chunker.js';
import type { Chunk, ChunkKind } from '../src/chunk/types.js';

const FIXTURES = new URL('./fixtures/languages/', import.meta.url);

type Expected = [start: number, end: number, kind: ChunkKind, symbol: string, container: string];

const EXPECTED: Record<string, { language: string; chunks: Expected[] }> = {
  'bash.sh': {
    language: 'bash',
    chunks: [
      [1, 6, 'block', '', ''],
      [8, 15, 'function', 'log, die', ''],
      [17, 25, 'function', 'make_archive', ''],
      [27, 36, 'function', 'prune', ''],
      [38, 43, 'block', '', ''],
    ],
  },
  'c.c': {
    language: 'c',
    chunks: [
      [1, 19, 'struct', 'string_list, list_error', ''],
      [21, 31, 'function', 'grow', ''],
      [33, 45, 'function', 'list_push', ''],
      [47, 55, 'function', 'list_free', ''],
      [57, 69, 'function', 'main', ''],
    ],
  },
  'c_sharp.cs': {
    language: 'c_sharp',
    chunks: [
      [1, 6, 'module', 'Inventory.Core', ''],
      [7, 11, 'interface', 'IRepository', 'Inventory.Core'],
      [13, 20, 'enum', 'StockLevel, Product', 'Inventory.Core'],
      [22, 32, 'class', 'InMemoryRepository', 'Inventory.Core'],
      [34, 41, 'method', 'Save', 'InMemoryRepository'],
      [43, 48, 'method', 'LowStock', 'InMemoryRepository'],
      [50, 56, 'method', 'Classify', 'InMemoryRepository'],
      [58, 65, 'struct', 'Money', 'Inventory.Core'],
    ],
  },
  'cpp.cpp': {
    language: 'cpp',
    chunks: [
      [1, 13, 'module', 'geometry', ''],
      [15, 20, 'class', 'Shape', 'geometry'],
      [22, 24, 'class', 'Polygon', 'geometry'],
      [26, 34, 'method', 'area', 'Polygon'],
      [36, 40, 'method', 'name', 'Polygon'],
      [42, 49, 'function', 'clamp', 'geometry'],
      [51, 57, 'function', 'Registry::total_area', ''],
      [59, 62, 'function', 'main', ''],
    ],
  },
  'go.go': {
    language: 'go',
    chunks: [
      [1, 11, 'block', '', ''],
      [13, 17, 'interface', 'Store', ''],
      [19, 22, 'struct', 'entry', ''],
      [24, 30, 'struct', 'LRU', ''],
      [32, 39, 'function', 'New', ''],
      [41, 51, 'method', 'Get', 'LRU'],
      [53, 68, 'method', 'Set', 'LRU'],
      [70, 70, 'method', 'Len', 'LRU'],
    ],
  },
  'java.java': {
    language: 'java',
    chunks: [
      [1, 6, 'block', '', ''],
      [8, 11, 'interface', 'PricingRule', ''],
      [13, 21, 'enum', 'OrderStatus', ''],
      [23, 23, 'class', 'OrderLine', ''],
      [25, 35, 'class', 'Order', ''],
      [37, 42, 'method', 'addLine', 'Order'],
      [44, 47, 'method', 'toString', 'Order'],
      [49, 55, 'method', 'total', 'Order'],
      [57, 59, 'method', 'find', 'Order'],
      [61, 73, 'class', 'Builder', 'Order'],
    ],
  },
  'javascript.js': {
    language: 'javascript',
    chunks: [
      [1, 8, 'block', '', ''],
      [10, 16, 'function', 'res.status', ''],
      [18, 46, 'function', 'res.send', ''],
      [48, 57, 'class', 'Router', ''],
      [59, 64, 'method', 'handle', 'Router'],
      [66, 68, 'function', 'normalize', ''],
      [70, 76, 'function', 'compile', ''],
    ],
  },
  'kotlin.kt': {
    language: 'kotlin',
    chunks: [
      [1, 8, 'interface', 'Thermometer', ''],
      [10, 10, 'enum', 'Scale', ''],
      [12, 12, 'class', 'Reading', ''],
      [13, 17, 'method', 'inScale', 'Reading'],
      [19, 20, 'class', 'Station', ''],
      [22, 29, 'method', 'sample', 'Station'],
      [31, 34, 'method', 'average', 'Station'],
      [36, 39, 'class', 'companion', 'Station'],
      [41, 43, 'class', 'Units', ''],
      [45, 49, 'function', 'formatReading', ''],
    ],
  },
  'markdown.md': {
    language: 'markdown',
    chunks: [
      [1, 13, 'section', 'codectx', ''],
      [14, 16, 'section', 'Usage', 'codectx'],
      [18, 21, 'section', 'Indexing', 'Usage'],
      [22, 25, 'section', 'Searching', 'Usage'],
      [26, 29, 'section', 'Configuration', 'codectx'],
    ],
  },
  'php.php': {
    language: 'php',
    chunks: [
      [1, 12, 'interface', 'Transport', ''],
      [14, 22, 'trait', 'Loggable', ''],
      [24, 28, 'enum', 'Priority', ''],
      [30, 34, 'class', 'Message', ''],
      [36, 41, 'method', '__construct', 'Message'],
      [43, 51, 'method', 'to', 'Message'],
      [53, 57, 'method', 'recipients', 'Message'],
      [59, 68, 'function', 'send_all', ''],
    ],
  },
  'python.py': {
    language: 'python',
    chunks: [
      [1, 9, 'block', '', ''],
      [12, 13, 'class', 'Clock', ''],
      [16, 23, 'class', 'TokenBucket', ''],
      [25, 28, 'method', 'refill', 'TokenBucket'],
      [30, 36, 'method', 'take', 'TokenBucket'],
      [38, 40, 'method', 'empty', 'TokenBucket'],
      [42, 44, 'method', 'per_minute', 'TokenBucket'],
      [47, 58, 'function', 'rate_limited', ''],
      [61, 74, 'function', 'fetch_all', ''],
    ],
  },
  'ruby.rb': {
    language: 'ruby',
    chunks: [
      [1, 8, 'module', 'Billing', ''],
      [10, 14, 'module', 'Formatting', 'Billing'],
      [16, 25, 'class', 'Invoice', 'Billing'],
      [27, 32, 'method', 'add_line', 'Invoice'],
      [34, 36, 'method', 'total_cents', 'Invoice'],
      [38, 45, 'method', 'to_json', 'Invoice'],
      [47, 51, 'method', 'parse', 'Invoice'],
      [53, 58, 'method', 'issue', 'Billing'],
    ],
  },
  'rust.rs': {
    language: 'rust',
    chunks: [
      [1, 12, 'enum', 'Token', ''],
      [14, 16, 'struct', 'Env', ''],
      [18, 20, 'trait', 'Eval', ''],
      [22, 25, 'struct', 'EvalError', ''],
      [27, 31, 'impl', 'Display for EvalError', ''],
      [33, 36, 'impl', 'Env', ''],
      [38, 41, 'method', 'set', 'Env'],
      [43, 48, 'method', 'get', 'Env'],
      [50, 75, 'function', 'tokenize', ''],
      [77, 84, 'module', 'tests', ''],
    ],
  },
  'scala.scala': {
    language: 'scala',
    chunks: [
      [1, 7, 'trait', 'Item', ''],
      [9, 11, 'class', 'Book, Film', ''],
      [13, 16, 'trait', 'Catalogue', ''],
      [18, 24, 'class', 'Library', ''],
      [26, 29, 'method', 'search', 'Library'],
      [31, 33, 'method', 'longestBook', 'Library'],
      [35, 35, 'module', 'Library', ''],
      [36, 41, 'function', 'apply', 'Library'],
      [43, 45, 'enum', 'Genre', ''],
      [47, 50, 'function', 'describe', ''],
    ],
  },
  'swift.swift': {
    language: 'swift',
    chunks: [
      [1, 6, 'interface', 'Drawable', ''],
      [8, 19, 'enum', 'Direction', ''],
      [21, 28, 'struct', 'Vector', ''],
      [30, 36, 'class', 'Turtle', ''],
      [38, 45, 'method', 'move', 'Turtle'],
      [47, 50, 'method', 'draw', 'Turtle'],
      [52, 56, 'impl', 'Turtle', ''],
      [58, 62, 'function', 'distance', ''],
    ],
  },
  'tsx.tsx': {
    language: 'tsx',
    chunks: [
      [1, 8, 'interface', 'SearchBoxProps, Status', ''],
      [10, 31, 'function', 'SearchBox', ''],
      [33, 39, 'function', 'ResultList', ''],
      [41, 54, 'class', 'ErrorBoundary', ''],
    ],
  },
  'typescript.ts': {
    language: 'typescript',
    chunks: [
      [1, 4, 'block', '', ''],
      [6, 11, 'interface', 'Job', ''],
      [13, 19, 'type', 'JobHandler, JobState', ''],
      [21, 33, 'class', 'JobQueue', ''],
      [35, 42, 'method', 'push', 'JobQueue'],
      [44, 46, 'method', 'size', 'JobQueue'],
      [48, 65, 'method', 'drain', 'JobQueue'],
      [67, 81, 'function', 'withTimeout', ''],
      [83, 87, 'function', 'readAll', ''],
    ],
  },
};

let chunker: Chunker;
const chunksOf = (file: string): Promise<Chunk[]> =>
  chunker.chunk(`fixtures/${file}`, readFileSync(new URL(file, FIXTURES), 'utf8'));

beforeAll(async () => {
  chunker = await createChunker();
});

describe('language fixtures', () => {
  it('covers every supported language with a fixture', () => {
    const fixtureLanguages = readdirSync(FIXTURES).map((file) => languageForPath(file));
    expect(new Set(fixtureLanguages)).toEqual(new Set(supportedLanguages()));
    expect(supportedLanguages().length).toBeGreaterThanOrEqual(17);
  });

  for (const [file, expected] of Object.entries(EXPECTED)) {
    it(`chunks ${file} along its definitions`, async () => {
      const chunks = await chunksOf(file);
      expect(chunks.map((c) => c.language)).toEqual(chunks.map(() => expected.language));
      expect(chunks.map((c): Expected => [c.startLine, c.endLine, c.kind, c.symbol, c.container])).toEqual(expected.chunks);
    });
  }
});

describe('definitions the retrieval depends on', () => {
  const find = (chunks: Chunk[], symbol: string) => chunks.find((c) => c.symbol === symbol);

  it('names Express-style `res.send = function send()` assignments as functions', async () => {
    const send = find(await chunksOf('javascript.js'), 'res.send');
    expect(send).toMatchObject({ kind: 'function', startLine: 18, endLine: 46 });
    expect(send!.content).toMatch(/^\/\*\*\n \* Send a response body/);
    expect(send!.content).toMatch(/res\.send = function send\(body\) \{/);
  });

  it('names test blocks and route handlers after their string argument', async () => {
    const it = (title: string) => [`    it('${title}', function (done) {`, '      var app = express();', '      app.use(function (req, res) {', '        res.send(null);', '      });', "      request(app).get('/').expect('Content-Length', '0').expect(200, '', done);", '    });'];
    const content = ["describe('res', function () {", "  describe('.send(null)', function () {", ...it('should set body to empty'), '', ...it('should keep the status'), '  });', '});', '', "app.get('/users/:id', async (req, res) => {", '  res.json(await db.find(req.params.id));', '});'].join('\n');
    const chunks = await (await createChunker({ maxTokens: 100 })).chunk('test/res.send.js', content);
    expect(chunks.map((c) => [c.startLine, c.endLine, c.symbol, c.container])).toEqual([
      [1, 9, 'res, .send(null), should set body to empty', ''], // the describe lines open the first test's chunk
      [11, 19, 'should keep the status', '.send(null)'],
      [21, 23, '/users/:id', ''],
    ]);
  });

  it('names chained assignments and callbacks passed after a string (Express lib/)', async () => {
    const content = [
      'res.contentType =',
      'res.type = function contentType(type) {',
      "  var ct = type.indexOf('/') === -1 ? mime.contentType(type) : type;",
      "  return this.set('Content-Type', ct);",
      '};',
      '',
      "defineGetter(req, 'protocol', function protocol() {",
      '  var proto = this.connection.encrypted ? "https" : "http";',
      "  var trust = this.app.get('trust proxy fn');",
      '  return proto;',
      '});',
    ].join('\n');
    const chunks = await chunker.chunk('lib/response.js', content);
    expect(chunks.map((c) => [c.startLine, c.endLine, c.kind, c.symbol])).toEqual([
      [1, 5, 'function', 'res.contentType'],
      [7, 11, 'function', 'protocol'],
    ]);
  });

  it('keeps arrow functions assigned to a const as functions', async () => {
    expect(find(await chunksOf('typescript.ts'), 'readAll')).toMatchObject({ kind: 'function', startLine: 83 });
    expect(find(await chunksOf('tsx.tsx'), 'ResultList')).toMatchObject({ kind: 'function', startLine: 33, endLine: 39 });
  });

  it('includes Python decorators in the definition', async () => {
    const chunks = await chunksOf('python.py');
    expect(find(chunks, 'TokenBucket')!.content.split('\n')[0]).toBe('@dataclass');
    expect(find(chunks, 'empty')!.content.split('\n')[0]).toBe('    @property');
  });

  it('gives Go methods their receiver type as container', async () => {
    const chunks = await chunksOf('go.go');
    expect(find(chunks, 'Get')).toMatchObject({ kind: 'method', container: 'LRU' });
    expect(find(chunks, 'Len')).toMatchObject({ kind: 'method', container: 'LRU' });
  });

  it("gives methods in Rust impl blocks the impl's type as container", async () => {
    const chunks = await chunksOf('rust.rs');
    expect(find(chunks, 'get')).toMatchObject({ kind: 'method', container: 'Env' });
    expect(find(chunks, 'EvalError')).toMatchObject({ kind: 'struct' });
  });

  it('includes doc comments and attributes above a definition', async () => {
    expect(find(await chunksOf('rust.rs'), 'Token')!.content).toContain('#[derive(Debug, Clone, PartialEq)]');
    expect(find(await chunksOf('go.go'), 'Get')!.content.split('\n')[0]).toBe('// Get returns the value of key and marks it recently used.');
  });
});

describe('Markdown setext headings', () => {
  it('recognises a changelog entry whose title starts with a version number, and still not list items', async () => {
    const content = [
      'unreleased',
      '==========',
      '',
      '* fix one thing',
      '',
      '5.2.1 / 2025-12-01',
      '==================',
      '',
      '* fix res.cookie',
      '',
      '5.2.0 / 2025-11-30',
      '==================',
      '',
      '1. not a heading',
      '---',
      '',
      'text',
    ].join('\n');
    const chunks = await (await createChunker()).chunk('History.md', content);
    // Small sibling sections share a chunk, named after each of them.
    const titles = chunks.flatMap((c) => c.symbol.split(', '));
    expect(titles).toEqual(['unreleased', '5.2.1 / 2025-12-01', '5.2.0 / 2025-11-30']);
  });
});
