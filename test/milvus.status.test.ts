import { describe, expect, it } from 'vitest';
import { StoreError } from '../src/errors.js';
import { ensureOk } from '../src/store/milvusClient.js';

describe('ensureOk', () => {
  it('passes a success status', () => {
    expect(() => ensureOk({ error_code: 'Success', code: 0, reason: '' }, 'query')).not.toThrow();
  });

  it('reports a failure in one line, without the expression and caret a parse error quotes', () => {
    // As Milvus Lite answers a filter it cannot parse.
    const status = { error_code: 'UnexpectedError', code: 6, reason: 'unterminated string literal at column 9\n  file in ["a\n          ^' };
    expect(() => ensureOk(status, 'delete')).toThrow(new StoreError('delete failed: unterminated string literal at column 9'));
  });

  it('names the code when the server gives no reason', () => {
    expect(() => ensureOk({ error_code: 'UnexpectedError', code: 65535, reason: '' }, 'upsert')).toThrow('upsert failed: code 65535');
  });
});
