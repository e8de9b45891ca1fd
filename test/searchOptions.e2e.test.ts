import { execFile } from 'node:child_process';
import { realpath } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { fixtureWorkspace, PROJECT_ROOT, runCli } from './helpers/cli.js';

interface JsonResult {
  file: string;
  language: string;
  symbol: string;
}

const ESC = '\x1b[';

describe('codectx search filters and output, end to end (real model, LanceDB)', () => {
  let repo: string;
  let home: string;

  const run = (args: string[], env: NodeJS.ProcessEnv = {}) => runCli(['search', ...args, '--path', repo], { home, env });
  const search = async (query: string, extra: string[] = []): Promise<JsonResult[]> => {
    const result = await run([query, '--json', ...extra]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    return (JSON.parse(result.stdout) as { results: JsonResult[] }).results;
  };

  /** The CLI in a pseudo-terminal (util-linux `script`), so stdout is a TTY as in a person's shell. */
  const inTerminal = (args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> =>
    new Promise((resolve, reject) => {
      const command = [process.execPath, join(PROJECT_ROOT, 'bin', 'codectx.js'), ...args].map((arg) => `'${arg.replaceAll("'", "'\\''")}'`).join(' ');
      execFile('script', ['-qec', command, '/dev/null'], { env: { ...process.env, CODECTX_HOME: home, ...env } }, (error, stdout) =>
        error ? reject(error) : resolve(stdout),
      );
    });

  beforeAll(async () => {
    ({ repo, home } = await fixtureWorkspace());
    const index = await runCli(['index', repo], { home });
    expect(index.code, index.stderr).toBe(0);
  });

  it('--lang takes a name in any case or an extension', async () => {
    for (const lang of ['js', 'JavaScript', '.JS', 'jsx']) {
      const results = await search('draw a chart on a canvas', ['--lang', lang]);
      expect(results.length, lang).toBeGreaterThan(0);
      expect(results.every((r) => r.language === 'javascript'), lang).toBe(true);
    }
    const python = await search('invoice totals', ['--lang', 'py']);
    expect(python.map((r) => r.file)).toContain('scripts/report.py');
  });

  it('--lang rejects an unknown language with one line listing the known ones', async () => {
    const result = await run(['chart', '--lang', 'cobol']);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/^codectx: unknown language "cobol"; known: typescript, .*javascript, python/);
  });

  it('--under takes a folder however it is written', async () => {
    for (const under of ['./src/auth/', 'src/auth', 'src/auth//', join(await realpath(repo), 'src', 'auth')]) {
      const results = await search('password', ['--under', under]);
      expect(results.length, under).toBeGreaterThan(0);
      expect(results.every((r) => r.file.startsWith('src/auth/')), under).toBe(true);
    }
    // A folder is a folder: src/au is not a prefix of src/auth/ files, and a typo is said, not answered with nothing.
    const typo = await run(['password', '--under', 'src/au']);
    expect([typo.code, typo.stdout]).toEqual([2, '']);
    expect(typo.stderr).toMatch(/^codectx: --under src\/au: no such folder in \S+\n$/);
    const file = await run(['password', '--under', './src/auth/password.ts']);
    expect(file.code).toBe(2);
    expect(file.stderr).toBe('codectx: --under takes a folder and src/auth/password.ts is a file; use -g src/auth/password.ts\n');
  });

  it('-g/--glob includes and !excludes paths, repeatable', async () => {
    const ts = await search('password session', ['-g', '*.ts', '--glob', '!session.ts']);
    expect(ts.length).toBeGreaterThan(0);
    expect(new Set(ts.map((r) => r.file))).toEqual(new Set(['src/auth/password.ts']));
    const outsideSrc = await search('invoice totals', ['-g', '!src/**']);
    expect(outsideSrc.length).toBeGreaterThan(0);
    expect(outsideSrc.every((r) => !r.file.startsWith('src/'))).toBe(true);
    const bad = await run(['password', '-g', '!']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    // rg's alternation; an unclosed class is an error, not a glob that silently matches nothing.
    const either = await search('invoice totals chart', ['-g', '*.{js,py}']);
    expect(new Set(either.map((r) => r.file))).toEqual(new Set(['src/ui/chart.js', 'scripts/report.py']));
    const unclosed = await run(['password', '-g', '[']);
    expect([unclosed.code, unclosed.stdout, unclosed.stderr]).toEqual([2, '', 'codectx: invalid --glob "[": unclosed "["; write "\\[" to match it literally\n']);
  });

  it('--under resolves ".." inside the codebase and refuses a folder outside it', async () => {
    const results = await search('password', ['--under', 'src/../src/auth']);
    expect(results.length).toBeGreaterThan(0);
    expect(results.every((r) => r.file.startsWith('src/auth/'))).toBe(true);
    const outside = await run(['password', '--under', 'src/../..']);
    expect([outside.code, outside.stdout]).toEqual([2, '']);
    expect(outside.stderr).toMatch(/^codectx: --under src\/\.\.\/\.\. is outside the codebase \S+\n$/);
  });

  it('--files lists each matching file once, best first', async () => {
    const result = await run(['password hash bcrypt', '--files']);
    expect(result.code, result.stderr).toBe(0);
    const files = result.stdout.trimEnd().split('\n');
    expect(files[0]).toBe('src/auth/password.ts');
    expect(new Set(files).size).toBe(files.length);
    const ranked = [...new Set((await search('password hash bcrypt', ['--limit', '30'])).map((r) => r.file))];
    expect(files).toEqual(ranked.slice(0, files.length));
    const one = await run(['password hash bcrypt', '--files', '-n', '1']);
    expect(one.stdout).toBe('src/auth/password.ts\n');
  });

  it('text results are grouped per file and show the matching lines with context, like rg -C1', async () => {
    const result = await run(['bcrypt', '--lang', 'ts', '--kind', 'function']);
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.split('\n');
    // One heading for the file; its two neighbouring functions both match, so they are one result naming both
    // (the better-ranked first).
    expect(lines.filter((line) => line === 'src/auth/password.ts')).toHaveLength(1);
    expect(result.stdout).toMatch(/^ ?\d+\. (verifyPassword, hashPassword|hashPassword, verifyPassword) {2}9-19 \[function, score /m);
    // rg's notation: `12:` a line with a query term, `11-` context around it.
    expect(result.stdout).toMatch(/^ +11-  if \(!password\) return false;$/m);
    expect(result.stdout).toMatch(/^ +12:  return bcrypt\.compare\(password, user\.passwordHash\);$/m);
    expect(result.stdout).toMatch(/^ +18:  return bcrypt\.hash\(password, 12\);$/m);
    expect(result.stdout).not.toContain(ESC);
  });

  it('a result no line of which names a query term shows its first lines', async () => {
    const result = await run(['plot bars on a drawing surface', '--lang', 'js', '--limit', '1', '--color', 'never']);
    expect(result.code, result.stderr).toBe(0);
    const [heading, title, ...shown] = result.stdout.trimEnd().split('\n');
    expect([heading, title]).toEqual(['src/ui/chart.js', expect.stringMatching(/^ 1\. renderChart {2}1-9 /)]);
    expect(shown).toHaveLength(6);
    expect(shown[0]).toMatch(/^ +1-\/\/ Draws a bar chart of the monthly totals on a canvas\.$/);
    expect(shown[1]).toMatch(/^ +2-export function renderChart\(canvas, data\) \{$/);
  });

  it('--color always colours even through a pipe; never and NO_COLOR keep a terminal plain', async () => {
    const always = await run(['bcrypt', '--color', 'always']);
    expect(always.stdout).toContain(`${ESC}31;1mbcrypt${ESC}0m`);
    expect((await run(['bcrypt'])).stdout).not.toContain(ESC);
    const args = ['search', 'bcrypt', '--path', repo];
    expect(await inTerminal(args)).toContain(ESC);
    expect(await inTerminal(args, { NO_COLOR: '1' })).not.toContain(ESC);
    expect(await inTerminal([...args, '--color', 'never'])).not.toContain(ESC);
    const bad = await run(['bcrypt', '--color', 'sometimes']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown --color "sometimes"/);
  });
});
