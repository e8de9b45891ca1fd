import { describe, expect, it } from 'vitest';
import { groupPieces } from '../src/search/pieces.js';
import { exactMatchShare, queryTerms, taskText } from '../src/search/queryTerms.js';
import { DEFAULT_RANKING, rankCandidates } from '../src/search/ranking.js';
import { chunkRole, rolesAskedFor } from '../src/search/roles.js';
import type { ChunkRecord } from '../src/store/types.js';

const record = (over: Partial<ChunkRecord> & { id: string }): ChunkRecord => ({
  file: 'src/app.ts',
  language: 'typescript',
  startLine: 1,
  endLine: 10,
  symbol: '',
  kind: 'function',
  container: '',
  content: '',
  contentHash: over.id,
  fileHash: 'f',
  ...over,
});
const role = (file: string, over: Partial<ChunkRecord> = {}) => chunkRole(record({ id: file, file, ...over }));

describe('chunkRole', () => {
  it('recognises tests by path', () => {
    for (const file of ['test/app.query.js', 'tests/test_sessions.py', 'src/__tests__/auth.ts', 'lib/auth.test.ts', 'lib/auth.spec.js', 'test_utils.py', 'command_test.go', 'src/test/java/FooTest.java', 'testdata/x.go']) {
      expect(role(file), file).toBe('test');
    }
  });

  it('recognises tests by syntax where the path does not say so', () => {
    expect(role('src/walk.rs', { language: 'rust', content: '#[cfg(test)]\nmod tests {\n    use super::*;\n}' })).toBe('test');
    expect(role('src/walk.rs', { language: 'rust', container: 'tests', symbol: 'walks_hidden' })).toBe('test');
    expect(role('src/walk.rs', { language: 'rust', content: '    #[test]\n    fn walks_hidden() {}' })).toBe('test');
    expect(role('cmd.go', { language: 'go', symbol: 'TestExecute' })).toBe('test');
    expect(role('lib/x.js', { language: 'javascript', content: "describe('res.cookie', () => {\n  it('sets', () => {})\n})" })).toBe('test');
    expect(role('lib/sessions.py', { language: 'python', symbol: 'test_redirects' })).toBe('test');
  });

  it('tells docs, changelogs, CI and data files from code', () => {
    expect(role('README.md', { language: 'markdown' })).toBe('docs');
    expect(role('History.md', { language: 'markdown' })).toBe('docs');
    expect(role('CHANGELOG')).toBe('docs');
    expect(role('examples/search/index.js')).toBe('docs');
    expect(role('.github/workflows/ci.yml', { language: 'yaml' })).toBe('config');
    expect(role('package.json', { language: 'json' })).toBe('config');
    expect(role('Cargo.toml')).toBe('config');
  });

  it('leaves implementation alone, including names that merely contain "test"', () => {
    for (const file of ['lib/application.js', 'src/requests/sessions.py', 'command.go', 'src/latest.ts', 'contest/entry.ts', 'src/Attestation.java']) {
      expect(role(file, { symbol: 'latest', content: 'function latest() { return contest(); }' }), file).toBe('code');
    }
  });

  it('lets a query ask for tests, docs or configuration by name', () => {
    expect(rolesAskedFor('add a unit test for the parser').has('test')).toBe(true);
    expect(rolesAskedFor('update the docs for routing').has('docs')).toBe(true);
    expect(rolesAskedFor('run CI on windows').has('config')).toBe(true);
    expect([...rolesAskedFor('change the default query parser')]).toEqual(['code']);
  });
});

describe('queryTerms', () => {
  it('finds flags, environment variables, compound identifiers, backticked names and paths', () => {
    const terms = queryTerms('cli/config: honour `XDG_CONFIG_HOME` and --color=never in res.cookie via parseArgs and max_depth (src/walk.rs)');
    expect(terms.exact).toEqual(expect.arrayContaining(['xdg_config_home', '--color', 'res.cookie', 'parseargs', 'max_depth']));
    expect(terms.paths).toEqual(expect.arrayContaining(['cli/config', 'src/walk.rs']));
  });

  it('finds nothing exact in plain words or version numbers', () => {
    expect(queryTerms('Allow working directory to be nonexistent if search path is given')).toEqual({ exact: [], paths: [] });
    expect(queryTerms('release 2.31.0').exact).toEqual([]);
  });

  it('matches exact terms in content and path prefixes at segment boundaries', () => {
    const terms = queryTerms('cli/config: use --color');
    const chunk = { file: 'src/cli/config.rs', symbol: 'Config', content: 'arg("--color")' };
    expect(exactMatchShare(terms, chunk)).toBe(1);
    expect(exactMatchShare(terms, { ...chunk, file: 'src/mycli/configs.rs' })).toBe(0.5);
    expect(exactMatchShare(terms, { ...chunk, content: 'nothing' })).toBe(0.5);
  });
});

describe('names and task text', () => {
  it('drops function words but keeps code words', () => {
    expect(taskText('Allow the working directory to be nonexistent if search path is given')).toBe('Allow working directory nonexistent search path given');
    expect(taskText('the')).toBe('the');
    expect(taskText('get is not set')).toBe('get not set');
  });
});

describe('rankCandidates', () => {
  const impl = record({ id: 'impl', file: 'lib/response.js', symbol: 'cookie', content: 'res.cookie = function (name, value) {}' });
  const spec = record({ id: 'spec', file: 'test/res.cookie.js', symbol: '', content: "it('sets a cookie', () => res.cookie('a'))" });

  it('puts the implementation above a test that both sides ranked first', () => {
    const ranked = rankCandidates('set a signed cookie on the response', [{ chunk: spec, score: 0.9 }, { chunk: impl, score: 0.8 }], [{ chunk: spec, score: 9 }, { chunk: impl, score: 7 }]);
    expect(ranked.map((h) => h.chunk.id)).toEqual(['impl', 'spec']);
  });

  it('keeps the test first when the query asks for tests', () => {
    const ranked = rankCandidates('add a test for signed cookies', [{ chunk: spec, score: 0.9 }, { chunk: impl, score: 0.8 }], [{ chunk: spec, score: 9 }, { chunk: impl, score: 7 }]);
    expect(ranked[0]!.chunk.id).toBe('spec');
  });

  it('weighs exact terms when the boost is on', () => {
    const other = record({ id: 'other', file: 'lib/request.js', symbol: 'header', content: 'req.header = function () {}' });
    const params = { ...DEFAULT_RANKING, exactBoost: 1 };
    const ranked = rankCandidates('make res.cookie encode values', [{ chunk: other, score: 0.9 }, { chunk: impl, score: 0.8 }], [], params);
    expect(ranked[0]!.chunk.id).toBe('impl');
  });
});

describe('groupPieces', () => {
  const piece = (id: string, startLine: number, endLine: number, symbol = 'run') =>
    ({ chunk: record({ id, startLine, endLine, symbol, content: `${id}` }), score: 1 });

  it('joins neighbouring pieces of one definition into one result and frees the slot', () => {
    const grouped = groupPieces([piece('a', 10, 40), piece('b', 41, 70), piece('c', 100, 110, 'other'), piece('d', 200, 210, 'third')], 2);
    expect(grouped.map((h) => [h.chunk.startLine, h.chunk.endLine])).toEqual([[10, 70], [100, 110]]);
    expect(grouped[0]!.chunk.content).toBe('a\nb');
  });

  it('keeps pieces apart when they are not neighbours or belong to other definitions', () => {
    const grouped = groupPieces([piece('a', 10, 40), piece('b', 60, 70), piece('c', 41, 50, 'other')], 5);
    expect(grouped).toHaveLength(3);
  });

  it('joins a neighbouring chunk of the same file ranked within joinWithin, whatever its symbol', () => {
    const hits = [piece('a', 10, 40), piece('x', 300, 320, 'far'), piece('c', 41, 50, 'other'), piece('d', 51, 60, 'late')];
    const grouped = groupPieces(hits, 5, 3);
    expect(grouped.map((h) => [h.chunk.startLine, h.chunk.endLine])).toEqual([[10, 50], [300, 320], [51, 60]]);
    expect(grouped[0]!.chunk.content).toBe('a\nc');
    expect(grouped[0]!.chunk.symbol).toBe('run, other'); // both names, in line order
  });

  it('never joins neighbours across files or past the size of a snippet', () => {
    const other = { chunk: record({ id: 'o', file: 'src/other.ts', startLine: 41, endLine: 50, symbol: 'o', content: 'o' }), score: 1 };
    expect(groupPieces([piece('a', 10, 40), other], 5, 10)).toHaveLength(2);
    expect(groupPieces([piece('a', 1, 80), piece('b', 81, 160, 'other')], 5, 10)).toHaveLength(2);
  });
});
