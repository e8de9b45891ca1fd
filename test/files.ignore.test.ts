import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IgnoreMatcher } from '../src/daemon/ignoreMatcher.js';
import { walkCodebase, walkPaths } from '../src/files/walk.js';

/**
 * The ignore rules as git applies them: the repository's ignore files above a subfolder that is indexed alone,
 * `!` rules against the built-in ones, folders git tracks, and case as the file system has it.
 */

let base: string;

async function put(relPath: string, content = 'x = 1\n'): Promise<void> {
  await mkdir(join(base, relPath, '..'), { recursive: true });
  await writeFile(join(base, relPath), content);
}

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8' });
}

async function walked(root: string, options = {}): Promise<string[]> {
  return (await walkCodebase(root, options)).files.map((file) => file.path);
}

/** What git itself lists under `root` as not ignored: tracked files and untracked ones it does not ignore. */
function gitListed(root: string): string[] {
  return git(root, 'ls-files', '--cached', '--others', '--exclude-standard', '-z').split('\0').filter(Boolean).sort();
}

beforeEach(async () => {
  base = await realpath(await mkdtemp(join(tmpdir(), 'codectx-ignore-')));
});
afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

describe('the repository above a subfolder indexed alone', () => {
  // Seen: `codectx index packages/api` indexed credentials.json, which the top .gitignore keeps out.
  it('applies the .gitignore and .codectxignore of every folder up to the top, and .git/info/exclude', async () => {
    await put('mono/.gitignore', 'credentials.json\n*.local.ts\n/packages/api/anchored.ts\n');
    await put('mono/.codectxignore', 'fixtures/\n');
    await put('mono/.git/info/exclude', 'scratch_*.py\n');
    await put('mono/packages/.gitignore', 'gen/\n!keep.local.ts\n');
    await put('mono/packages/api/credentials.json', '{"db_host": "10.0.0.5"}\n');
    await put('mono/packages/api/server.ts');
    await put('mono/packages/api/dev.local.ts');
    await put('mono/packages/api/keep.local.ts');
    await put('mono/packages/api/anchored.ts');
    await put('mono/packages/api/deep/anchored.ts');
    await put('mono/packages/api/gen/out.ts');
    await put('mono/packages/api/fixtures/big.ts');
    await put('mono/packages/api/scratch_1.py');
    git(join(base, 'mono'), 'init', '-q');
    const api = join(base, 'mono/packages/api');
    const expected = ['deep/anchored.ts', 'keep.local.ts', 'server.ts'];
    expect(await walked(api)).toEqual(expected);
    // git agrees, .codectxignore aside (git does not read it).
    expect(gitListed(api).filter((path) => !path.startsWith('fixtures/'))).toEqual(expected);
    // The daemon's walk of some paths and its watcher agree.
    const some = await walkPaths(api, ['credentials.json', 'dev.local.ts', 'server.ts', 'gen', 'scratch_1.py']);
    expect(some.files.map((file) => file.path)).toEqual(['server.ts']);
    const matcher = new IgnoreMatcher(api);
    expect(['credentials.json', 'dev.local.ts', 'gen/out.ts', 'scratch_1.py', 'anchored.ts'].filter((path) => !matcher.ignores(join(api, path)))).toEqual([]);
    expect(matcher.ignores(join(api, 'server.ts'))).toBe(false);
  });

  it('reads nothing above the repository\'s top, and nothing above a folder outside any repository', async () => {
    await put('.gitignore', '*.ts\n');
    await put('repo/a.ts');
    await put('repo/.git/HEAD', 'ref: refs/heads/main\n');
    await put('loose/b.ts');
    expect(await walked(join(base, 'repo'))).toEqual(['a.ts']);
    expect(await walked(join(base, 'loose'))).toEqual(['b.ts']);
  });
});

describe('built-in folder rules', () => {
  // Seen: bat's build/ (its build script's source) was never indexed, and `!/build` in .gitignore changed nothing.
  it('give way to a `!` rule in .gitignore or .codectxignore, at the root or deeper', async () => {
    await put('.gitignore', '!/build\n');
    await put('build/helper.py');
    await put('build/app.min.js', 'x');
    await put('lib/.codectxignore', '!target/\n');
    await put('lib/target/t.py');
    await put('other/target/t.py');
    expect(await walked(base)).toEqual(['build/helper.py', 'lib/target/t.py']);
    // A path on its own (the watcher's question) gets the same answer.
    const matcher = new IgnoreMatcher(base);
    expect(matcher.ignores(join(base, 'build/helper.py'))).toBe(false);
    expect(matcher.ignores(join(base, 'other/target/t.py'))).toBe(true);
  });

  it('keep an output-named folder git tracks files in, and name the folders they skip', async () => {
    await put('build/main.rs', 'fn main() {}\n');
    await put('crates/x/out/o.rs', 'fn o() {}\n');
    await put('target/debug/gen.rs', 'fn gen() {}\n');
    await put('dist/tracked.js', 'x');
    await put('node_modules/dep/index.js', 'x');
    await put('src/lib.rs', 'fn lib() {}\n');
    git(base, 'init', '-q');
    git(base, 'add', 'build', 'crates', 'dist', 'src');
    const walk = await walkCodebase(base);
    expect(walk.files.map((file) => file.path)).toEqual(['build/main.rs', 'crates/x/out/o.rs', 'src/lib.rs']);
    // Committed bundles stay out; .git is never reported.
    expect(walk.skipped.map((item) => [item.path, item.reason])).toEqual([
      ['dist/', 'ignored-by-default'],
      ['node_modules/', 'ignored-by-default'],
      ['target/', 'ignored-by-default'],
    ]);
    expect(new IgnoreMatcher(base).ignores(join(base, 'build/main.rs'))).toBe(false);
    // Without git's answer (no repository), the built-in rules stand.
    await rm(join(base, '.git'), { recursive: true });
    expect(await walked(base)).toEqual(['src/lib.rs']);
  });

  // git's answer is remembered while its index is unchanged (the daemon asks on every change batch).
  it('follow what git tracks after `git add` and `git rm` between walks', async () => {
    await put('target/gen.rs', 'fn gen() {}\n');
    await put('src/lib.rs', 'fn lib() {}\n');
    git(base, 'init', '-q');
    git(base, 'add', 'src');
    expect(await walked(base)).toEqual(['src/lib.rs']);
    expect((await walkPaths(base, ['target/gen.rs'])).files).toEqual([]);
    git(base, 'add', 'target');
    expect(await walked(base)).toEqual(['src/lib.rs', 'target/gen.rs']);
    expect((await walkPaths(base, ['target/gen.rs'])).files.map((file) => file.path)).toEqual(['target/gen.rs']);
    git(base, 'rm', '-q', '--cached', 'target/gen.rs');
    expect(await walked(base)).toEqual(['src/lib.rs']);
  });

  // Seen: in a git worktree (its .git a file naming the git folder) every walk failed with ENOTDIR.
  it('follow what git tracks in a worktree, whose .git is a file', async () => {
    await put('main/target/gen.rs', 'fn gen() {}\n');
    await put('main/src/lib.rs', 'fn lib() {}\n');
    const main = join(base, 'main');
    git(main, 'init', '-q');
    git(main, 'add', 'src', 'target');
    git(main, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'first');
    const tree = join(base, 'tree');
    git(main, 'worktree', 'add', '-q', tree);
    expect(await walked(tree)).toEqual(['src/lib.rs', 'target/gen.rs']);
    git(tree, 'rm', '-q', '--cached', 'target/gen.rs');
    expect(await walked(tree)).toEqual(['src/lib.rs']);
    expect((await walkPaths(tree, ['target/gen.rs'])).files).toEqual([]);
  });

  // Seen: `mv` of a watched codebase stopped the daemon: chokidar asked about the dropped paths after the rules
  // were forgotten, and reading the gone root's rules threw ENOENT out of its callback.
  it('answer for a root that is gone (ignored: nothing left to watch) instead of throwing', async () => {
    await put('proj/.gitignore', 'gen/\n');
    await put('proj/src/a.py');
    const matcher = new IgnoreMatcher(join(base, 'proj'));
    expect(matcher.ignores(join(base, 'proj/src/a.py'))).toBe(false);
    matcher.forget();
    await rm(join(base, 'proj'), { recursive: true });
    expect(matcher.ignores(join(base, 'proj/src/a.py'))).toBe(true);
    expect(matcher.ignores(join(base, 'proj/src'))).toBe(true);
  });

  // Seen: a checkout that turned the folder `x/` into a file `x` logged an unhandled ENOTDIR from chokidar's
  // callback, and a folder made unreadable (EACCES, the same code path) stopped the daemon.
  it('answer for a path under a folder since replaced by a file instead of throwing', async () => {
    await put('proj/x/a.py');
    const matcher = new IgnoreMatcher(join(base, 'proj'));
    await rm(join(base, 'proj/x'), { recursive: true });
    await put('proj/x');
    expect(matcher.ignores(join(base, 'proj/x/a.py'))).toBe(false);
  });

  it('are not reported for a folder the repository\'s own rules skip too', async () => {
    await put('.gitignore', 'node_modules/\n');
    await put('node_modules/dep/index.js');
    await put('coverage/lcov.info');
    await put('a.py');
    expect((await walkCodebase(base)).skipped).toEqual([expect.objectContaining({ path: 'coverage/', reason: 'ignored-by-default' })]);
  });
});

describe('case', () => {
  // Seen: `Src/` in .codectxignore dropped src/, and `/*` … `!/Foo.PY` kept foo.py, where git on Linux does not.
  it.skipIf(process.platform === 'darwin' || process.platform === 'win32')('is matched exactly on a case-sensitive file system, as git does', async () => {
    await put('.gitignore', '/*\n!/src\n!/Foo.PY\n');
    await put('.codectxignore', 'Src/\n*.PY\n!/Foo.PY\n');
    await put('Foo.PY');
    await put('foo.py');
    await put('src/n.py');
    await put('src/M.PY');
    git(base, 'init', '-q');
    expect(await walked(base)).toEqual(['Foo.PY', 'src/n.py']);
    expect(new IgnoreMatcher(base).ignores(join(base, 'foo.py'))).toBe(true);
    expect(new IgnoreMatcher(base).ignores(join(base, 'src/n.py'))).toBe(false);
  });
});
