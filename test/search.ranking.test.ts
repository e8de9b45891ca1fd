import { describe, expect, it } from 'vitest';
import { secondaryDiscount } from '../src/search/ranking.js';

const chunk = (file: string, language = 'typescript') => ({ file, language });

describe('secondaryDiscount', () => {
  const discount = secondaryDiscount('change the default query parser');

  it('discounts tests, examples, fixtures, docs, benchmarks and Markdown', () => {
    for (const file of [
      'test/app.query.js',
      'tests/test_sessions.py',
      'src/__tests__/auth.ts',
      'lib/auth.test.ts',
      'lib/auth.spec.js',
      'test_utils.py',
      'command_test.go',
      'examples/search/index.js',
      'docs/conf.py',
      'benchmarks/middleware.js',
    ]) {
      expect(discount(chunk(file)), file).toBe(0.4);
    }
    expect(discount(chunk('History.md', 'markdown'))).toBe(0.4);
  });

  it('leaves implementation files alone, including names that merely contain "test"', () => {
    for (const file of ['lib/application.js', 'src/requests/sessions.py', 'command.go', 'src/latest.ts', 'contest/entry.ts']) {
      expect(discount(chunk(file)), file).toBe(1);
    }
  });

  it('discounts nothing when the query asks for tests, examples or docs', () => {
    for (const query of ['add a unit test for the parser', 'fix the example app', 'update the docs for routing']) {
      expect(secondaryDiscount(query)(chunk('test/app.query.js'))).toBe(1);
    }
  });
});
