import { fc, test as fcTest } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { collectionNameFor } from '../src/store/collectionName.js';
import { fuseRankings, RRF_K } from '../src/store/hybrid.js';
import { contentOffset, identifierParts, keywordQuery, keywordText } from '../src/store/keywordText.js';
import type { RankedChunk } from '../src/store/types.js';

describe('identifierParts', () => {
  it('splits camelCase, PascalCase, snake_case, kebab-case, acronyms and digits into lowercase parts', () => {
    expect(identifierParts('parseHeaderValue')).toEqual(['parse', 'header', 'value']);
    expect(identifierParts('HTTPServerError')).toEqual(['http', 'server', 'error']);
    expect(identifierParts('check_password')).toEqual(['check', 'password']);
    expect(identifierParts('MAX_RETRY_COUNT')).toEqual(['max', 'retry', 'count']);
    expect(identifierParts('x-request-id')).toEqual(['x', 'request', 'id']);
    expect(identifierParts('utf8Decode')).toEqual(['utf', '8', 'decode']);
    expect(identifierParts('$scope')).toEqual([]);
    expect(identifierParts('plain')).toEqual([]);
  });
});

describe('keywordText', () => {
  it('indexes path, symbol, container and content, then each compound identifier split once', () => {
    const text = keywordText({
      file: 'src/http/header_utils.ts',
      symbol: 'parseHeaderValue',
      container: 'HeaderParser',
      content: 'function parseHeaderValue(raw) { return parseHeaderValue(raw.trim()); }',
    });
    expect(text.startsWith('src/http/header_utils.ts\nparseHeaderValue\nHeaderParser\nfunction parseHeaderValue(')).toBe(true);
    const lines = text.split('\n');
    expect(lines).toContain('header utils parse header value header parser');
    // Names weigh three times in all: two more copies of symbol, container, file name and their parts.
    expect(lines.slice(-2)).toEqual(Array(2).fill('parseHeaderValue HeaderParser header_utils parse header value header parser header utils'));
  });

  it('splits nothing when no identifier is compound, and still weighs the file name', () => {
    expect(keywordText({ file: 'a.md', symbol: '', container: '', content: 'plain words' })).toBe('a.md\nplain words\na\na');
  });
});

describe('keywordQuery', () => {
  it('keeps the original tokens and appends the parts', () => {
    expect(keywordQuery('parseHeaderValue')).toBe('parseHeaderValue parse header value');
    expect(keywordQuery('where is login')).toBe('where is login');
  });
});

describe('collectionNameFor', () => {
  it('is readable, valid for LanceDB and Milvus, and distinct per real path', () => {
    const name = collectionNameFor('/home/me/My-Project.v2');
    expect(name).toMatch(/^my_project_v2_[0-9a-f]{12}$/);
    expect(collectionNameFor('/srv/2024-app')).toMatch(/^c_2024_app_[0-9a-f]{12}$/);
    expect(collectionNameFor('/')).toMatch(/^c_[0-9a-f]{12}$/);
    expect(collectionNameFor('/a/project')).not.toBe(collectionNameFor('/b/project'));
    for (const path of ['/ü/ñame', '/x/..', '/tmp/___']) expect(collectionNameFor(path)).toMatch(/^[a-z_][a-z0-9_]*$/);
  });
});

describe('fuseRankings', () => {
  const ranked = (id: string, score: number): RankedChunk => ({
    chunk: { id, file: `${id}.ts`, language: 'typescript', symbol: id, kind: 'function', container: '', startLine: 1, endLine: 1, content: '' },
    score,
  });

  it('sums reciprocal ranks per side and explains each side', () => {
    const fused = fuseRankings([ranked('a', 0.9), ranked('b', 0.8)], [ranked('b', 7), ranked('c', 3)], 10);
    expect(fused.map((hit) => hit.chunk.id)).toEqual(['b', 'a', 'c']);
    expect(fused[0]).toMatchObject({ score: 1 / (RRF_K + 2) + 1 / (RRF_K + 1), dense: { score: 0.8, rank: 2 }, keyword: { score: 7, rank: 1 } });
    expect(fused[1]!.keyword).toBeUndefined();
    expect(fused[2]!.dense).toBeUndefined();
  });

  it('honours per-side weights and the limit', () => {
    const fused = fuseRankings([ranked('a', 0.9)], [ranked('c', 3)], 1, { dense: 0.5 });
    expect(fused.map((hit) => hit.chunk.id)).toEqual(['c']);
  });
});

describe('contentOffset', () => {
  // Milvus stores a chunk's code once, inside its keyword text, and cuts it back out by this offset.
  fcTest.prop([fc.string(), fc.string(), fc.string(), fc.string()], { numRuns: Number(process.env.FUZZ_RUNS ?? 300) })(
    'finds the content inside the keyword text for any path, symbol, container and content',
    (file, symbol, container, content) => {
      const chunk = { file: `src/${file}`, symbol, container, content };
      const start = contentOffset(chunk);
      expect(keywordText(chunk).slice(start, start + content.length)).toBe(content);
    },
  );
});
