import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChunker } from '../src/chunk/chunker.js';
import type { Chunk } from '../src/chunk/types.js';
import { definitionExtents, definitionOf } from '../src/search/pieces.js';
import { answers } from '../src/search/lineLookups.js';
import { QueryVectors, searchIndex } from '../src/search/searcher.js';
import { openLanceStore } from '../src/store/lance.js';
import type { ChunkRecord, ChunkStore, FileLines } from '../src/store/types.js';
import { FakeEmbedder } from './helpers/fakeEmbedder.js';

/** A function of `steps` statements, then an object with a setter and a getter of one name (two definitions). */
function source(steps: number): string {
  const lines = ['function respond(ctx) {'];
  for (let i = 0; i < steps; i++) lines.push(`  const step${i} = ctx.stage${i}(ctx.value${i} + ${i})`);
  lines.push('  return ctx', '}', '', 'module.exports = {', '  set length(n) {');
  for (let i = 0; i < 6; i++) lines.push(`    this.header${i} = n + ${i}`);
  lines.push('  },', '', '  get length() {');
  for (let i = 0; i < 6; i++) lines.push(`    if (this.header${i}) return this.header${i}`);
  lines.push('    return 0', '  },', '}');
  return lines.join('\n');
}

const chunkSource = async (text: string) => (await createChunker({ maxTokens: 100 })).chunk('r.js', text);

describe('a result that is part of a definition split for size', () => {
  const dir = mkdtempSync(join(tmpdir(), 'codectx-definitions-'));
  const embedder = new FakeEmbedder();
  const text = source(24);
  let chunks: Chunk[];
  let store: ChunkStore;

  beforeAll(async () => {
    chunks = await chunkSource(text);
    // respond in five pieces (the last takes `module.exports = {`, a tiny statement of the file); the setter and the
    // getter of `length` are two chunks of one name, one blank line apart.
    expect(chunks.map((c) => [c.symbol, c.startLine, c.endLine])).toEqual([
      ['respond', 1, 6],
      ['respond', 7, 11],
      ['respond', 12, 16],
      ['respond', 17, 21],
      ['respond', 22, 29],
      ['length', 30, 37],
      ['length', 39, 48],
    ]);
    // Each query finds one chunk: the dense side is pointed at it, and only it holds the query's words.
    const vectors = await embedder.embed(chunks.map((c) => c.content));
    store = await openLanceStore({ dir, table: 'definitions', dimension: embedder.dimension });
    await store.upsert(chunks.map((c, i) => ({ ...c, id: `c${i}`, contentHash: `h${i}`, fileHash: 'f', vector: vectors[i]! })));
  });

  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const searchFor = (chunk: Chunk, definitionText = false) => {
    const vectors = new QueryVectors(embedder);
    // The chunk's own text as the query: its vector is the chunk's, its words are the chunk's.
    return searchIndex(store, vectors, chunk.content, { limit: 1, definitionText });
  };

  it('says which definition it is part of, with its whole range', async () => {
    const [result] = await searchFor(chunks[2]!);
    expect([result!.symbol, result!.startLine, result!.endLine]).toEqual(['respond', 12, 16]);
    expect(result!.definition).toEqual({ startLine: 1, endLine: 29 });
  });

  it('gives the whole text when asked for it', async () => {
    const [result] = await searchFor(chunks[2]!, true);
    expect(result!.definition?.content).toBe(text.split('\n').slice(0, 29).join('\n'));
  });

  it('does not take a setter and the getter next to it for one definition', async () => {
    // (Search joins them into one result, as neighbours.)
    const lengths = chunks.filter((c) => c.symbol === 'length');
    expect(await definitionExtents(lengths.map(record), lookup(chunks))).toEqual([undefined, undefined]);
  });

  it('leaves a whole definition unmarked', async () => {
    const whole = await chunkSource(source(3));
    expect(whole[0]).toMatchObject({ symbol: 'respond', startLine: 1, endLine: 8 });
    const extents = await definitionExtents(whole.map(record), lookup(whole));
    expect(extents).toEqual(whole.map(() => undefined));
  });
});

describe('definitionExtents', () => {
  it('looks nothing up for a whole method, and still finds the rest of an indented method split for size', async () => {
    const steps = Array.from({ length: 24 }, (_, i) => `    const step${i} = req.stage${i}(req.value${i} + ${i})`);
    const text = ['class Router {', '  /** Routes one request. */', '  route(req) {', ...steps, '    return req', '  }', '', '  reset() {', '    this.routes = []', '  }', '}'];
    const chunks = await (await createChunker({ maxTokens: 100 })).chunk('r.js', text.join('\n'));
    const route = chunks.filter((c) => c.symbol === 'route');
    const reset = chunks.find((c) => c.symbol === 'reset')!;
    expect(route.length).toBeGreaterThan(2);
    expect(route[0]!.content.split('\n')[0]).toBe('  /** Routes one request. */');
    let lookups = 0;
    const chunksAt = lookup(chunks);
    const counted = (lines: FileLines[]) => {
      lookups++;
      return chunksAt(lines);
    };
    expect(await definitionExtents([record(reset)], counted)).toEqual([undefined]);
    expect(lookups).toBe(0);
    const whole = [route[0]!.startLine, route.at(-1)!.endLine];
    for (const piece of [route[0]!, route[1]!, route.at(-1)!]) {
      const [extent] = await definitionExtents([record(piece)], counted);
      expect([extent!.startLine, extent!.endLine]).toEqual(whole);
    }
  });

  it('finds the ends of a definition longer than one lookup reads, reading further each time', async () => {
    const chunks = await chunkSource(source(1000));
    const pieces = chunks.filter((c) => c.symbol === 'respond');
    const middle = pieces[Math.floor(pieces.length / 2)]!;
    let lookups = 0;
    const chunksAt = lookup(chunks);
    const [extent] = await definitionExtents([record(middle)], (lines) => {
      lookups++;
      return chunksAt(lines);
    });
    expect([extent!.startLine, extent!.endLine]).toEqual([1, pieces.at(-1)!.endLine]);
    expect(extent!.rest).toHaveLength(pieces.length - 1);
    // ~500 lines each way: windows of 200, 400 (and a last look past the end on each side).
    expect(lookups).toBeLessThanOrEqual(3);
  });
});

describe('definitionExtents of a function whose lines start at column 0 inside it', () => {
  // A multi-line string at column 0 (a shell script a Go program writes), as cobra's writePreamble holds: its
  // pieces open unindented, and indentation alone read each as a definition of its own.
  const script = Array.from({ length: 12 }, (_, i) => [`__%[1]s_step${i}()`, '{', `    local value${i}=\${words[c]}`, `    echo "step ${i} $value${i}"`, '}', '']).flat();
  const text = ['package main', '', 'func writePreamble(buf io.StringWriter, name string) {', '\tbuf.WriteString(fmt.Sprintf(`# bash completion', ...script, '`, name))', '}'];

  it('looks nothing up for a whole function that statements of the file joined above it', async () => {
    const steps = Array.from({ length: 6 }, (_, i) => `  const step${i} = req.stage${i}(req.value${i} + ${i})`);
    const text = ["const a = require('a')", '', 'function route(req) {', ...steps, '  return req', '}'];
    const [chunk] = await (await createChunker()).chunk('r.js', text.join('\n'));
    expect([chunk!.symbol, chunk!.startLine, chunk!.endLine]).toEqual(['route', 1, text.length]);
    let lookups = 0;
    const counted = (lines: FileLines[]) => {
      lookups++;
      return lookup([chunk!])(lines);
    };
    expect(await definitionExtents([record(chunk!)], counted)).toEqual([undefined]);
    expect(lookups).toBe(0);
  });

  it('finds the whole function from each of its pieces after the first', async () => {
    const chunks = await (await createChunker({ maxTokens: 100 })).chunk('bash.go', text.join('\n'));
    const pieces = chunks.filter((c) => c.symbol === 'writePreamble');
    expect(pieces.length).toBeGreaterThan(3);
    const whole = [pieces[0]!.startLine, pieces.at(-1)!.endLine];
    for (const piece of pieces.slice(1)) {
      const [extent] = await definitionExtents([record(piece)], lookup(chunks));
      expect([piece.startLine, extent?.startLine, extent?.endLine]).toEqual([piece.startLine, ...whole]);
    }
  });
});

function record(chunk: Chunk): ChunkRecord {
  return { ...chunk, id: `${chunk.startLine}` };
}

/** ChunkStore.chunksAt over chunks in memory. */
function lookup(chunks: Chunk[]): (lines: FileLines[]) => Promise<ChunkRecord[]> {
  return async (lines) => chunks.map(record).filter((c) => lines.some((at) => answers(at, c)));
}

describe('definitionExtents across a function nested between two pieces', () => {
  // express's res.redirect: a function nested in the body is a chunk of its own, so the pieces around it are not
  // next to each other, and each of them was shown as the whole definition.
  const steps = (name: string, n: number) => Array.from({ length: n }, (_, i) => `  var ${name}${i} = this.stage${i}(url + ${i});`);
  const text = [
    'res.redirect = function redirect(url) {',
    ...steps('head', 14),
    '',
    '  function html(u) {',
    ...Array.from({ length: 8 }, (_, i) => `    u = u.replace(pattern${i}, entity${i});`),
    "    return '<p>' + u + '</p>';",
    '  }',
    '',
    ...steps('tail', 14),
    '  this.end(body);',
    '};',
  ];
  let chunks: Chunk[];

  beforeAll(async () => {
    chunks = await (await createChunker({ maxTokens: 100 })).chunk('response.js', text.join('\n'));
  });

  it('finds the whole definition from the pieces on either side, with the nested function in its text', async () => {
    const pieces = chunks.filter((c) => c.symbol === 'res.redirect');
    const nested = chunks.find((c) => c.symbol === 'html')!;
    expect(nested.startLine).toBeGreaterThan(pieces[0]!.endLine + 1 + 2);
    for (const piece of pieces) {
      let lookups = 0;
      const [extent] = await definitionExtents([record(piece)], (lines) => {
        lookups++;
        return lookup(chunks)(lines);
      });
      expect([piece.startLine, extent?.startLine, extent?.endLine]).toEqual([piece.startLine, 1, text.length]);
      // One lookup for the pieces around it, one for the lines of the nested function: the pieces past it were read.
      expect(lookups).toBeLessThanOrEqual(2);
      expect(definitionOf(record(piece), extent, true).definition?.content).toBe(text.join('\n'));
    }
  });

  it('does not cross to a same-named definition past another one at the same depth', async () => {
    // A Python property's getter and setter share a name; a method between them is not nested in either.
    const body = (n: number) => Array.from({ length: n }, (_, i) => `        self.part${i} = self.stage${i}(v + ${i})`);
    const python = ['class Box:', '    @property', '    def value(self):', ...body(14), '        return self.part0', '', '    def other(self):', '        return 1', '', '    @value.setter', '    def value(self, v):', ...body(14)];
    const cut = await (await createChunker({ maxTokens: 100 })).chunk('box.py', python.join('\n'));
    const getter = cut.filter((c) => c.symbol === 'value' && c.endLine < python.indexOf('    def other(self):'));
    expect(getter.length).toBeGreaterThan(1);
    const [extent] = await definitionExtents([record(getter.at(-1)!)], lookup(cut));
    expect([extent?.startLine, extent?.endLine]).toEqual([getter[0]!.startLine, getter.at(-1)!.endLine]);
  });
});
