import { describe, expect, it } from 'vitest';
import { formatResults } from '../src/cli/formatResults.js';
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

  it('says so when nothing matched', () => {
    expect(formatResults([], 'x', false)).toBe('no results\n');
  });
});
