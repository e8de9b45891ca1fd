import { describe, expect, it } from 'vitest';
import { formatFiles, formatResults } from '../src/cli/formatResults.js';
import { count, printable } from '../src/text.js';
import type { SearchResult } from '../src/search/types.js';

const result = (file: string, symbol: string, startLine: number, content: string, score: number): SearchResult => ({
  file,
  startLine,
  endLine: startLine + content.split('\n').length - 1,
  symbol,
  kind: 'function',
  container: '',
  language: 'typescript',
  score,
  content,
});

describe('formatResults', () => {
  it('groups results under their file, files in the order of their best result, ranks kept', () => {
    const text = formatResults(
      [
        result('src/auth/password.ts', 'verifyPassword', 9, 'export function verifyPassword() {\n  return bcrypt.compare(a, b);\n}', 0.9),
        result('src/session.ts', 'startSession', 1, 'export function startSession() {}', 0.8),
        result('src/auth/password.ts', 'hashPassword', 40, 'export function hashPassword() {\n  return bcrypt.hash(a, 12);\n}', 0.7),
      ],
      'bcrypt',
      false,
    );
    const lines = text.split('\n');
    expect(lines.filter((line) => line === 'src/auth/password.ts')).toHaveLength(1);
    expect(lines.indexOf('src/auth/password.ts')).toBeLessThan(lines.indexOf('src/session.ts'));
    const under = lines.slice(lines.indexOf('src/auth/password.ts'), lines.indexOf('src/session.ts'));
    expect(under.filter((line) => /^ ?\d+\. /.test(line)).map((line) => line.trim().split(' ').slice(0, 2).join(' '))).toEqual(['1. verifyPassword', '3. hashPassword']);
    expect(text).toMatch(/^ +10: {2}return bcrypt\.compare\(a, b\);$/m);
    expect(text).toMatch(/^ +41: {2}return bcrypt\.hash\(a, 12\);$/m);
  });

  it('says when a result is part of a definition split for size', () => {
    const part = { ...result('lib/application.js', 'respond', 264, 'function respond (ctx) {', 0.9), definition: { startLine: 264, endLine: 337 } };
    expect(formatResults([part], 'respond', false)).toContain(' 1. respond  264-264 of 264-337 [function');
  });

  it('says so when nothing matched', () => {
    expect(formatResults([], 'x', false)).toBe('no results\n');
  });

  it('says why a query of symbols or emoji found nothing (QA round 4 #15)', () => {
    for (const query of ['🚀', '.', '!!!???']) expect(formatResults([], query, false)).toMatch(/^no results: the query has no letters or digits/);
  });

  it('marks the lines that hold a query word in any script (QA round 4 #15)', () => {
    const content = 'def grüße_an_alle(名前):\n    """Begrüßt alle."""\n    return f"Hallo {名前}"';
    const lines = (query: string) => formatResults([result('grüße.py', 'grüße_an_alle', 1, content, 1)], query, false).split('\n');
    expect(lines('grüße').filter((line) => /^ +\d:/.test(line)).map((line) => line.trim()[0])).toEqual(['1']);
    expect(lines('名前').filter((line) => /^ +\d:/.test(line)).map((line) => line.trim()[0])).toEqual(['1', '3']);
  });
});

describe('names in text output', () => {
  // A file named so could colour (or clear, or retitle) the terminal, or split a one-per-line list in two.
  const hostile = 'esc\x1b[31mred.py';
  const twoLines = 'new\nline.py';

  it('escapes control characters in file names and symbols, as ls and rg do', () => {
    const text = formatResults(
      [result(hostile, 'parse\x1b]0;title\x07Config', 1, 'def parse_config(path):\n    return path', 0.9), result(twoLines, 'load', 1, 'def load():', 0.8)],
      'config',
      false,
    );
    expect(text).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f]/);
    expect(text.split('\n')).toContain('esc\\x1b[31mred.py');
    expect(text).toContain('1. parse\\x1b]0;title\\x07Config  1-2');
    expect(text.split('\n')).toContain('new\\nline.py');
  });

  it('--files prints one line per file, whatever its name', () => {
    const text = formatFiles([result(twoLines, 'load', 1, 'x', 0.9), result(hostile, 'parse', 1, 'x', 0.8)], 10);
    expect(text).toBe('new\\nline.py\nesc\\x1b[31mred.py\n');
  });

  it('printable escapes C0, DEL, C1, line separators and bidi overrides, and leaves other text alone', () => {
    expect(printable('a\tb\rc\x00d\x7fe\x9bf')).toBe('a\\tb\\rc\\x00d\\x7fe\\x9bf');
    expect(printable('x\u2028y\u202ez\u2066')).toBe('x\\u2028y\\u202ez\\u2066');
    expect(printable('src/naïve/日本語 file.ts')).toBe('src/naïve/日本語 file.ts');
  });

  it('counts with the noun in the singular for one', () => {
    expect([count(0, 'file'), count(1, 'file'), count(2, 'file'), count(1, 'search', 'searches'), count(3, 'search', 'searches')]).toEqual([
      '0 files',
      '1 file',
      '2 files',
      '1 search',
      '3 searches',
    ]);
  });
});
