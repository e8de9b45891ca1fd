import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { fixtureWorkspace, runCli } from './helpers/cli.js';
import { namesOf as names } from './helpers/results.js';

interface JsonResult {
  file: string;
  startLine: number;
  endLine: number;
  symbol: string;
  kind: string;
  language: string;
  score: number;
  content: string;
}

describe('codectx index + search, end to end (real model, LanceDB)', () => {
  let repo: string;
  let home: string;

  const search = async (query: string, extra: string[] = []): Promise<JsonResult[]> => {
    const result = await runCli(['search', query, '--path', repo, '--json', ...extra], { home });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    return (JSON.parse(result.stdout) as { results: JsonResult[] }).results;
  };
  const index = async (): Promise<Record<string, number>> => {
    const result = await runCli(['index', repo, '--json'], { home });
    expect(result.code, result.stderr).toBe(0);
    return JSON.parse(result.stdout) as Record<string, number>;
  };

  beforeAll(async () => {
    ({ repo, home } = await fixtureWorkspace());
    const first = await index();
    expect(first.filesChanged).toBe(5);
    expect(first.embedded).toBeGreaterThan(5);
  });

  it('finds a function by a natural-language description', async () => {
    const results = await search('check whether the login password is correct', ['--limit', '3']);
    expect(results.flatMap(names)).toContain('verifyPassword');
  });

  it('finds a function by its identifier, first', async () => {
    const [top] = await search('renderChart');
    expect(top).toMatchObject({ file: 'src/ui/chart.js', kind: 'function', language: 'javascript' });
    expect(names(top)[0]).toBe('renderChart');
  });

  it('prints the documented --json schema with paths relative to the root', async () => {
    const results = await search('invoice totals per customer', ['--limit', '2']);
    expect(results).toHaveLength(2);
    for (const result of results) {
      expect(Object.keys(result)).toEqual(
        expect.arrayContaining(['file', 'startLine', 'endLine', 'symbol', 'kind', 'language', 'score', 'content']),
      );
      expect(result.file.startsWith('/')).toBe(false);
      expect(result.startLine).toBeGreaterThanOrEqual(1);
      expect(result.endLine).toBeGreaterThanOrEqual(result.startLine);
    }
    expect(results[0]!.file).toBe('scripts/report.py');
  });

  // Run in lib/ of an indexed repository, search said "not indexed" and offered to build a second index.
  it('finds the index from a subfolder, as git finds its repository', async () => {
    const result = await runCli(['search', 'renderChart', '--path', join(repo, 'src', 'ui'), '--json'], { home });
    expect(result.code, result.stderr).toBe(0);
    const { results } = JSON.parse(result.stdout) as { results: JsonResult[] };
    expect(results[0]?.file).toBe('src/ui/chart.js');
    expect(names(results[0])[0]).toBe('renderChart');
    // The folder -p names is searched, not the whole codebase above it (QA round 4 #15).
    expect(results.every((r) => r.file.startsWith('src/ui/'))).toBe(true);
    // With --under both hold: --under replaced --path, and `--path src/ui --under scripts` answered from scripts.
    const apart = await runCli(['search', 'password', '--path', join(repo, 'src', 'ui'), '--under', 'scripts', '--json'], { home });
    expect([apart.code, apart.stdout]).toEqual([2, '']);
    expect(apart.stderr).toBe(`codectx: --under scripts is not inside --path ${join(repo, 'src', 'ui')}, nor --path inside it: no file is in both\n`);
    for (const [path, under] of [[join(repo, 'src'), 'src/ui'], [join(repo, 'src', 'ui'), 'src']]) {
      const both = await runCli(['search', 'chart', '--path', path!, '--under', under!, '--json'], { home });
      expect(both.code, both.stderr).toBe(0);
      const files = (JSON.parse(both.stdout) as { results: JsonResult[] }).results.map((r) => r.file);
      expect(files.length).toBeGreaterThan(0);
      expect(files.every((file) => file.startsWith('src/ui/'))).toBe(true);
    }
    const empty = await runCli(['search', 'password', '--path', repo, '--under', ''], { home });
    expect([empty.code, empty.stderr]).toEqual([2, 'codectx: --under is empty; use . for the current folder\n']);
    const context = await runCli(['context', 'draw a chart', '--path', join(repo, 'src'), '--json'], { home });
    expect(context.code, context.stderr).toBe(0);
  });

  it('filters by language and kind', async () => {
    const results = await search('password', ['--lang', 'python']);
    expect(results.every((r) => r.language === 'python')).toBe(true);
    const functions = await search('password', ['--kind', 'function']);
    expect(functions.length).toBeGreaterThan(0);
    expect(functions.every((r) => r.kind === 'function')).toBe(true);
  });

  // onnxruntime's telemetry matched the command line with a backtracking regex: these died with SIGSEGV (exit 139).
  it('answers a 3,000-word query and a 60,000-character word in every command that searches', async () => {
    const words = `where is verifyPassword ${'checked against the stored hash '.repeat(500)}`;
    const [top] = await search(words, ['--limit', '3']);
    expect(names(top)[0]).toBe('verifyPassword');
    const token = 'x'.repeat(60_000);
    for (const args of [['search', token], ['route', words], ['context', token], ['ask', '--dry-run', words]]) {
      const result = await runCli([...args, '--path', repo], { home });
      expect(result.code, `${args[0]}: ${result.stderr}`).toBe(0);
    }
  });

  it('re-embeds only the changed file, and forgets a deleted one', async () => {
    const unchanged = await index();
    expect(unchanged).toMatchObject({ filesChanged: 0, embedded: 0, filesDeleted: 0 });
    const text = await runCli(['index', repo], { home });
    expect(text.stdout).toMatch(/^up to date: 5 files, \d+ chunks \(nothing changed\)\n$/);

    await writeFile(
      join(repo, 'src/ui/chart.js'),
      `export function renderPieChart(canvas, slices) {\n  const ctx = canvas.getContext('2d');\n  slices.forEach((s) => ctx.arc(50, 50, 40, s.start, s.end));\n}\n`,
    );
    const changed = await index();
    expect(changed).toMatchObject({ filesChanged: 1, filesUnchanged: 4, filesDeleted: 0 });
    expect(changed.embedded).toBe(1);
    const [top] = await search('renderPieChart');
    expect(top).toMatchObject({ file: 'src/ui/chart.js', symbol: 'renderPieChart' });

    await rm(join(repo, 'scripts/report.py'));
    const deleted = await index();
    expect(deleted).toMatchObject({ filesDeleted: 1, filesChanged: 0 });
    const results = await search('invoice totals per customer');
    expect(results.some((r) => r.file === 'scripts/report.py')).toBe(false);
  });

  it('reuses cached vectors for a renamed file', async () => {
    await mkdir(join(repo, 'lib'), { recursive: true });
    await rename(join(repo, 'src/auth/session.ts'), join(repo, 'lib/session.ts'));
    const renamed = await index();
    expect(renamed).toMatchObject({ filesChanged: 1, filesDeleted: 1, embedded: 0 });
    expect(renamed.cacheHits).toBeGreaterThan(0);
    const [top] = await search('lookupSession');
    expect(top!.file).toBe('lib/session.ts');
  });
});

describe('codectx CLI errors: one line, non-zero exit', () => {
  let home: string;
  let repo: string;
  beforeAll(async () => {
    ({ repo, home } = await fixtureWorkspace());
  });

  it('a missing path', async () => {
    const result = await runCli(['index', join(repo, 'does-not-exist')], { home });
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/no such directory/);
  });

  it('an unknown flag', async () => {
    const result = await runCli(['search', 'x', '--frobnicate'], { home });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/unknown option/);
  });

  it('a bad --limit and a bad --kind', async () => {
    const limit = await runCli(['search', 'x', '--path', repo, '--limit', 'lots'], { home });
    expect(limit.code).toBe(2);
    expect(limit.stderr).toMatch(/--limit must be an integer from 1 to 1000/);
    const kind = await runCli(['search', 'x', '--path', repo, '--kind', 'gadget'], { home });
    expect(kind.code).toBe(2);
    expect(kind.stderr).toMatch(/unknown --kind/);
  });

  it('searching a codebase that is not indexed says how to fix it', async () => {
    const result = await runCli(['search', 'password', '--path', repo], { home });
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/not indexed yet; run `codectx index/);
  });

  it('an empty repository indexes to an empty index', async () => {
    const empty = join(repo, '..', 'empty');
    await mkdir(empty);
    const result = await runCli(['index', empty, '--json'], { home });
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ filesScanned: 0, totalChunks: 0 });
    const search = await runCli(['search', 'anything', '--path', empty, '--json'], { home });
    expect(search.code, search.stderr).toBe(0);
    expect(JSON.parse(search.stdout)).toEqual({ results: [] });
  });

  it('a broken config file names the file and the place', async () => {
    await writeFile(join(repo, 'codectx.config.json'), '{ not json');
    const result = await runCli(['index', repo], { home });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/codectx\.config\.json:1:3 is not valid JSON/);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    await writeFile(join(repo, 'codectx.config.json'), '{ "embeding": { "provider": "local" } }');
    const misspelt = await runCli(['index', repo], { home });
    expect(misspelt.code).toBe(1);
    expect(misspelt.stderr).toMatch(/unknown setting "embeding"; did you mean "embedding"\?/);
    await rm(join(repo, 'codectx.config.json'));
  });
});
