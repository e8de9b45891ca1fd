/**
 * Chunker semantics beyond single fixtures: splitting large definitions, merging tiny ones, the fallback and
 * Markdown splitters, and the invariants every chunk keeps (contents match line ranges, no line is lost).
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createChunker, estimateWordPieceTokens, type Chunker } from '../src/chunk/chunker.js';
import { expectConsistent } from './chunk.invariants.js';

let chunker: Chunker;
let small: Chunker;
beforeAll(async () => {
  chunker = await createChunker();
  small = await createChunker({ maxTokens: 64 });
});

function bigFunction(statements: number): string {
  const body = Array.from({ length: statements }, (_, i) => `  const value${i} = compute(${i}, options.factor * ${i});`);
  return ['export function process(options: Options): number {', ...body, '  return 0;', '}', ''].join('\n');
}

describe('large definitions', () => {
  it('splits at statement boundaries, every part named after the function', async () => {
    const content = bigFunction(60);
    const chunks = await small.chunk('src/process.ts', content);
    expect(chunks.length).toBeGreaterThan(3);
    expectConsistent(chunks, content);
    for (const chunk of chunks) expect(chunk).toMatchObject({ kind: 'function', symbol: 'process', container: '' });
    expect(chunks[0]!.content.startsWith('export function process(')).toBe(true);
    for (const later of chunks.slice(1)) expect(later.content.startsWith('  const value')).toBe(true);
  });

  it('keeps parts within the budget (a trailing scrap may exceed it slightly)', async () => {
    const chunks = await small.chunk('src/process.ts', bigFunction(60));
    for (const chunk of chunks) expect(estimateWordPieceTokens(chunk.content)).toBeLessThan(64 + 24);
  });

  it('never cuts inside a statement that fits the budget', async () => {
    const statement = (i: number) => [`  if (flags & ${i}) {`, `    total += weigh(${i});`, `    seen.add(${i});`, '  }'];
    const content = ['function tally(flags) {', '  let total = 0;', ...Array.from({ length: 30 }, (_, i) => statement(i)).flat(), '  return total;', '}'].join('\n');
    const chunks = await small.chunk('tally.js', content);
    expectConsistent(chunks, content);
    expect(chunks.length).toBeGreaterThan(2);
    for (const chunk of chunks.slice(0, -1)) expect(chunk.content.trimEnd().endsWith('}')).toBe(true);
  });

  it('splits a single huge statement by lines', async () => {
    const content = ['const TABLE = [', ...Array.from({ length: 300 }, (_, i) => `  "entry number ${i} with some padding text",`), '];'].join('\n');
    const chunks = await small.chunk('table.js', content);
    expect(chunks.length).toBeGreaterThan(10);
    expectConsistent(chunks, content);
  });

  it('breaks a large function with large nested functions into its own parts and the nested ones', async () => {
    const nested = (name: string) => [`  function ${name}(x) {`, ...Array.from({ length: 12 }, (_, i) => `    x = transform(x, ${i}, "${name}");`), '    return x;', '  }'];
    const content = ['function outer(input) {', '  const start = Date.now();', ...nested('first'), ...nested('second'), '  return second(first(input));', '}'].join('\n');
    const chunks = await small.chunk('outer.js', content);
    expectConsistent(chunks, content);
    const symbols = chunks.map((c) => `${c.kind}:${c.symbol}:${c.container}`);
    expect(symbols).toContain('function:first:outer');
    expect(symbols).toContain('function:second:outer');
    // outer's two own lines are too small to stand alone: they open the first nested function's chunk.
    expect(symbols[0]).toBe('function:outer, first:');
  });

  it('chunks functions nested 5,000 deep (generated code) along the outer ones, without overflowing the stack', async () => {
    const depth = 5_000;
    const opening = Array.from({ length: depth }, (_, i) => `function f${i}(x${i}) {`);
    const content = [...opening, '  return 1;', ...Array.from({ length: depth }, () => '}')].join('\n');
    const chunks = await chunker.chunk('deep.js', content);
    expectConsistent(chunks, content);
    expect(chunks[0]!.symbol.startsWith('f0, f1')).toBe(true);
    // Only the outer levels are definitions of their own; deeper ones are lines of the deepest of those.
    const named = new Set(chunks.flatMap((c) => c.symbol.split(', ')));
    expect(named.has('f10')).toBe(true);
    expect(named.has('f4999')).toBe(false);
  });

  it('keeps nested functions inside a parent that fits', async () => {
    const content = ['function outer(a) {', '  function inner(b) {', '    return b * 2;', '  }', '  return inner(a);', '}'].join('\n');
    expect((await chunker.chunk('outer.js', content)).map((c) => [c.startLine, c.endLine, c.symbol])).toEqual([[1, 6, 'outer']]);
  });
});

describe('classes', () => {
  it('makes methods chunks of their own and the class chunk its header and fields', async () => {
    const method = (name: string) => [`  ${name}(items) {`, ...Array.from({ length: 6 }, (_, i) => `    items = items.filter((item) => item.score > ${i} && item.name !== "${name}");`), '    return items;', '  }'];
    const content = ['class Ranker {', '  threshold = 3;', '', ...method('rank'), '', ...method('prune'), '}'].join('\n');
    const chunks = await chunker.chunk('ranker.js', content);
    expectConsistent(chunks, content);
    expect(chunks.map((c) => [c.startLine, c.endLine, c.kind, c.symbol, c.container])).toEqual([
      [1, 2, 'class', 'Ranker', ''],
      [4, 12, 'method', 'rank', 'Ranker'],
      [14, 23, 'method', 'prune', 'Ranker'], // the closing brace joins the last method
    ]);
  });
});

describe('tiny definitions', () => {
  it('merges adjacent tiny functions into one chunk named after all of them', async () => {
    const content = ['def one():', '    return 1', '', 'def two():', '    return 2', '', 'def three():', '    return 3', ''].join('\n');
    const chunks = await chunker.chunk('numbers.py', content);
    expect(chunks.map((c) => [c.startLine, c.endLine, c.kind, c.symbol])).toEqual([[1, 8, 'function', 'one, two, three']]);
  });

  it('merges consecutive small top-level statements into a block', async () => {
    const content = ['import os', 'import sys', '', 'DEBUG = False', 'ROOT = os.getcwd()', ''].join('\n');
    const chunks = await chunker.chunk('settings.py', content);
    expect(chunks.map((c) => [c.startLine, c.endLine, c.kind, c.symbol])).toEqual([[1, 5, 'block', '']]);
  });
});

describe('files without a grammar', () => {
  it('splits unknown files at blank lines to the budget', async () => {
    const paragraph = (i: number) => Array.from({ length: 4 }, (_, j) => `setting_${i}_${j} = value number ${j} of group ${i}`).join('\n');
    const content = Array.from({ length: 12 }, (_, i) => paragraph(i)).join('\n\n');
    const chunks = await small.chunk('config/app.ini', content);
    expectConsistent(chunks, content);
    expect(chunks.length).toBeGreaterThan(3);
    for (const chunk of chunks) {
      expect(chunk).toMatchObject({ language: 'text', kind: 'block', symbol: '' });
      expect(chunk.content.startsWith('setting_')).toBe(true); // each part starts at a paragraph
    }
  });

  it('returns no chunks for an empty or blank file', async () => {
    expect(await chunker.chunk('empty.ts', '')).toEqual([]);
    expect(await chunker.chunk('blank.txt', '\n\n  \n')).toEqual([]);
  });

  it('handles CRLF line endings', async () => {
    const content = 'function a() {\r\n  return 1;\r\n}\r\n\r\nfunction b() {\r\n  return 2;\r\n}\r\n';
    const chunks = await chunker.chunk('crlf.js', content);
    expect(chunks.map((c) => [c.startLine, c.endLine, c.symbol])).toEqual([[1, 7, 'a, b']]);
    expect(chunks[0]!.content).not.toContain('\r');
  });
});

describe('markdown', () => {
  it('cuts by headings, named after the heading, nested under the parent heading', async () => {
    const section = (title: string, level: number) => [`${'#'.repeat(level)} ${title}`, '', `${title} explains how the search index is built from chunks and embeddings, then queried.`, 'It needs several sentences so that it is not merged into a neighbouring section.', ''];
    const content = [...section('Guide', 1), ...section('Install', 2), ...section('Search', 2), ...section('Ranking', 3)].join('\n');
    const chunks = await chunker.chunk('docs/guide.md', content);
    expectConsistent(chunks, content);
    expect(chunks.map((c) => [c.startLine, c.kind, c.symbol, c.container])).toEqual([
      [1, 'section', 'Guide', ''],
      [6, 'section', 'Install', 'Guide'],
      [11, 'section', 'Search', 'Guide'],
      [16, 'section', 'Ranking', 'Search'],
    ]);
  });

  it('ignores headings inside fenced code and splits long sections into parts named after the heading', async () => {
    const text = Array.from({ length: 20 }, (_, i) => `Paragraph ${i} describes one more detail of the configuration file.\n`);
    const content = ['# Config', '', '```sh', '# not a heading', 'codectx index', '```', '', ...text].join('\n');
    const chunks = await small.chunk('README.md', content);
    expectConsistent(chunks, content);
    expect(new Set(chunks.map((c) => c.symbol))).toEqual(new Set(['Config']));
    expect(chunks.length).toBeGreaterThan(2);
    expect(chunks[0]!.content.startsWith('# Config\n\n```sh\n# not a heading\ncodectx index\n```')).toBe(true);
    expect(chunks[1]!.content.startsWith('Paragraph')).toBe(true);
  });
});

describe('every fixture', () => {
  it('keeps contents equal to line ranges and loses no line, at several budgets', async () => {
    const files = ['typescript.ts', 'javascript.js', 'python.py', 'go.go', 'rust.rs', 'java.java', 'cpp.cpp', 'ruby.rb', 'markdown.md'];
    for (const maxTokens of [32, 64, 400]) {
      const sized = await createChunker({ maxTokens });
      for (const file of files) {
        const content = readFileSync(new URL(`./fixtures/languages/${file}`, import.meta.url), 'utf8');
        expectConsistent(await sized.chunk(file, content), content);
      }
    }
  });

  it('uses a caller-supplied token counter', async () => {
    const content = bigFunction(20);
    const byWords = await createChunker({ maxTokens: 40, countTokens: (text) => text.split(/\s+/).filter(Boolean).length });
    const chunks = await byWords.chunk('src/process.ts', content);
    expectConsistent(chunks, content);
    for (const chunk of chunks.slice(0, -1)) expect(chunk.content.split(/\s+/).filter(Boolean).length).toBeLessThanOrEqual(40);
  });
});
