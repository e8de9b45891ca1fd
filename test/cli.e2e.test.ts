import { execFileSync, spawn } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT, runCli, startCli, type CliResult } from './helpers/cli.js';
import { poller } from './helpers/wait.js';

/**
 * The built CLI at its edges, as a QA pass drove it: output to a reader that went away, file names that are
 * terminal escapes, and input that is almost right. One small codebase, indexed once with the real model.
 */
const BIN = join(PROJECT_ROOT, 'bin', 'codectx.js');
// A name that turns the terminal red, one that splits a line in two, and an ordinary one.
const RED = 'esc\x1b[31mred.py';
const TWO_LINES = 'new\nline.py';

let base: string;
let home: string;
let repo: string;

const cli = (args: string[], env: NodeJS.ProcessEnv = {}) => runCli(args, { home, env, cwd: repo });

/**
 * Runs the CLI with stdout on a pipe whose reader has already gone, as `codectx … | head` ends up once head has
 * read its lines. A FIFO opened for reading, then for writing, then closed for reading: every write fails.
 */
async function withClosedStdout(args: string[]): Promise<CliResult> {
  const fifo = join(base, `fifo-${Math.random().toString(36).slice(2)}`);
  execFileSync('mkfifo', [fifo]);
  const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  const writer = openSync(fifo, constants.O_WRONLY);
  closeSync(reader);
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: repo,
    env: { ...process.env, CODECTX_HOME: home },
    stdio: ['ignore', writer, 'pipe'],
  });
  closeSync(writer);
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number>((resolve) => child.on('close', (status) => resolve(status ?? -1)));
  return { code, stdout: '', stderr };
}

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'codectx-cli-e2e-'));
  home = join(base, 'home');
  repo = join(base, 'repo');
  await mkdir(repo);
  await writeFile(join(repo, RED), 'def parse_config(path):\n    """Parse the config file at path."""\n    return open(path).read()\n');
  await writeFile(join(repo, TWO_LINES), 'def load_config():\n    """Load the config."""\n    return parse_config("app.cfg")\n');
  const index = await cli(['index', '.']);
  expect(index.code, index.stderr).toBe(0);
});

describe('a reader that stops early', () => {
  it('ends every command quietly, with success, instead of an EPIPE stack trace', async () => {
    for (const args of [['search', 'parse config', '--limit', '50'], ['search', 'config', '--json'], ['status', '--json'], ['status'], ['--help'], ['list']]) {
      const result = await withClosedStdout(args);
      expect(result, args.join(' ')).toEqual({ code: 0, stdout: '', stderr: '' });
    }
  });
});

describe('file names in text output', () => {
  it('search shows control characters escaped, in colour too; --json keeps the names exact', async () => {
    for (const color of ['never', 'always']) {
      const text = await cli(['search', 'parse config', '--color', color]);
      expect(text.code, text.stderr).toBe(0);
      expect(text.stdout).not.toContain('\x1b[31mred');
      expect(text.stdout).not.toContain('new\nline');
      expect(text.stdout).toContain('esc\\x1b[31mred.py');
      expect(text.stdout).toContain('new\\nline.py');
    }
    const json = await cli(['search', 'parse config', '--json']);
    expect(JSON.parse(json.stdout).results.map((r: { file: string }) => r.file).sort()).toEqual([RED, TWO_LINES].sort());
  });

  it('--files prints one line per file', async () => {
    const files = await cli(['search', 'parse config', '--files']);
    expect(files.stdout.split('\n').filter(Boolean).sort()).toEqual(['esc\\x1b[31mred.py', 'new\\nline.py']);
  });
});

// A codebase at 'we ird/a\nb': add, remove, clear and `index --dry-run` printed its path with the newline in it,
// one message read as two lines (search and list escaped it already).
describe('a codebase whose path holds a control character', () => {
  it('is named escaped, on one line, by add, remove, clear and index --dry-run', async () => {
    const odd = join(base, 'we ird', 'a\nb');
    await mkdir(odd, { recursive: true });
    await writeFile(join(odd, 'app.py'), 'def main():\n    return 1\n');
    const shown = join(base, 'we ird', 'a\\nb');
    const outputs = [await cli(['add', odd]), await cli(['remove', odd]), await cli(['clear', odd]), await cli(['index', odd, '--dry-run'])];
    for (const result of outputs) {
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toContain(shown);
      expect(result.stdout).not.toContain('a\nb');
    }
    const again = await cli(['remove', odd]);
    expect(again.code).toBe(2);
    expect(again.stderr.trimEnd().split('\n')).toEqual([`codectx: ${shown} is not registered (\`codectx list\` shows the registered codebases)`]);
  });
});

describe('a backslash in a file name', () => {
  // On POSIX a backslash is an ordinary character in a name: `a\\b.py` is one file at the root, not `a/b.py`.
  it('keeps the name as it is: both files indexed under their own paths, and deleting one keeps the other', async () => {
    const names = join(base, 'names');
    await mkdir(join(names, 'a'), { recursive: true });
    await writeFile(join(names, 'a\\b.py'), 'def backslash_file():\n    return "from a-backslash-b"\n');
    await writeFile(join(names, 'a', 'b.py'), 'def real_nested_file():\n    return "from a/b"\n');
    const fileOf = async (query: string) => {
      const result = await cli(['search', query, '--path', names, '--json', '--limit', '1']);
      expect(result.code, result.stderr).toBe(0);
      return (JSON.parse(result.stdout) as { results: Array<{ file: string }> }).results.map((r) => r.file);
    };
    expect((await cli(['index', names])).code).toBe(0);
    expect(await fileOf('backslash_file')).toEqual(['a\\b.py']);
    expect(await fileOf('real_nested_file')).toEqual(['a/b.py']);
    expect(JSON.parse((await cli(['chunk', join(names, 'a\\b.py'), '--path', names, '--json'])).stdout)[0].file).toBe('a\\b.py');

    await rm(join(names, 'a', 'b.py'));
    expect((await cli(['index', names, '-q'])).stdout).toMatch(/^indexed 1 file in \d+s: 0 new or changed, 1 deleted, 1 unchanged\nchunks: .*, 1 in the index\n$/);
    expect(await fileOf('backslash_file')).toEqual(['a\\b.py']);
    expect(await fileOf('real_nested_file')).not.toContain('a/b.py');
  });

  it('--under a folder with a backslash in its name searches that folder, not the one the backslash would make', async () => {
    const folders = join(base, 'folders');
    await mkdir(join(folders, 'src', 'auth'), { recursive: true });
    await mkdir(join(folders, 'src\\auth'));
    await writeFile(join(folders, 'src', 'auth', 'login.py'), 'def slash_login():\n    return "in src/auth"\n');
    await writeFile(join(folders, 'src\\auth', 'login.py'), 'def backslash_login():\n    return "in src-backslash-auth"\n');
    expect((await cli(['index', folders])).code).toBe(0);
    const result = await cli(['search', 'login', '--path', folders, '--under', 'src\\auth', '--json']);
    expect(result.code, result.stderr).toBe(0);
    expect((JSON.parse(result.stdout) as { results: Array<{ file: string }> }).results.map((r) => r.file)).toEqual(['src\\auth/login.py']);
  });
});

describe('the index of a folder that is gone', () => {
  it('is listed by list --indexes, named by status, and dropped by clear with the old path', async () => {
    const gone = join(base, 'gone');
    await mkdir(gone);
    await writeFile(join(gone, 'g.py'), 'def f():\n    pass\n');
    expect((await cli(['index', gone])).code).toBe(0);
    await rm(gone, { recursive: true });

    const listed = await cli(['list', '--indexes']);
    expect(listed.stdout).toContain(`${gone}  1 file, 1 chunk, `);
    expect(listed.stdout).toMatch(new RegExp(`^${gone}  .*\\(folder missing: .*\\)$`, 'm'));
    expect(listed.stdout).toMatch(new RegExp(`^${repo}  2 files, .*KiB$`, 'm'));
    const json = JSON.parse((await cli(['list', '--indexes', '--json'])).stdout) as { indexes: Array<{ root: string; folderExists: boolean }> };
    expect(json.indexes.find((index) => index.root === gone)?.folderExists).toBe(false);

    expect(await cli(['status', gone])).toEqual({
      code: 2,
      stdout: '',
      stderr: `codectx: no such directory: ${gone} (its index is still here; \`codectx clear ${gone}\` drops it)\n`,
    });
    expect(await cli(['clear', gone])).toEqual({ code: 0, stdout: `cleared the index of ${gone} (1 chunk)\n`, stderr: '' });
    expect((await cli(['list', '--indexes'])).stdout).not.toContain(gone);
    // Once dropped, a missing folder is a bad path again.
    expect((await cli(['clear', gone])).code).toBe(2);
  });
});

describe('hints that name a command to run', () => {
  // Seen: "run `codectx index /tmp/qa5 space dir/never here`": pasted, it indexed /tmp/qa5 (or failed).
  it('quote a path that a shell would split', async () => {
    const spaced = join(base, "never here's");
    await mkdir(spaced);
    const quoted = `'${base}/never here'\\''s'`;
    expect((await cli(['status', spaced])).stdout).toBe(`${spaced} is not indexed; run \`codectx index ${quoted}\`\n`);
    expect((await runCli(['status', "never here's"], { home, cwd: base })).stdout).toContain("run `codectx index 'never here'\\''s'`\n");
    const search = await cli(['search', 'config', '-p', spaced]);
    expect(search.stderr).toBe(`codectx: ${spaced} is not indexed yet; run \`codectx index ${quoted}\` first\n`);
  });
});

describe('index in a folder of an indexed codebase', () => {
  // Seen: `codectx index` in doc/ of an indexed project made a second index, which search in doc/ then preferred
  // while only the project's was kept fresh.
  it('without a path indexes the enclosing codebase, as search finds it; with one, indexes the folder and warns', async () => {
    const project = join(base, 'nested');
    const doc = join(project, 'doc');
    await mkdir(doc, { recursive: true });
    await writeFile(join(project, 'a.py'), 'def top():\n    return 1\n');
    await writeFile(join(doc, 'b.py'), 'def inner():\n    return 2\n');
    expect((await cli(['index', project, '-q'])).code).toBe(0);

    const inDoc = (args: string[]) => runCli(args, { home, cwd: doc });
    expect(await inDoc(['index', '-q'])).toEqual({
      code: 0,
      stdout: 'up to date: 2 files, 2 chunks (nothing changed)\n',
      stderr: `codectx: indexing ${project}, the indexed codebase this folder is in (\`codectx index .\` indexes the folder on its own)\n`,
    });
    expect((await cli(['list', '--indexes'])).stdout).not.toContain(doc);

    const own = await inDoc(['index', '.', '-q']);
    expect(own.stdout).toMatch(/^indexed 1 file in /);
    expect(own.stderr).toBe(`codectx: ${doc} is inside the indexed codebase ${project}; it is indexed on its own, and search there uses its index, not that one\n`);
    expect((await inDoc(['status'])).stdout).toMatch(new RegExp(`^codebase: +${doc}$`, 'm'));
  });

  // Seen: `codectx watch` in src/ of an indexed project built and kept a second index of src/ (which search there
  // then preferred), and `add src` did the same, neither with the word `index` gives.
  it('watch without a path watches the enclosing codebase; add of a folder in one warns as index does', async () => {
    const project = join(base, 'nested-watch');
    const src = join(project, 'src');
    await mkdir(src, { recursive: true });
    await writeFile(join(src, 'b.py'), 'def inner():\n    return 2\n');
    expect((await cli(['index', project, '-q'])).code).toBe(0);

    const watch = startCli(['watch'], { home, cwd: src });
    let out = '';
    watch.child.stdout!.on('data', (data: Buffer) => (out += data.toString()));
    await poller(20_000)('the watch to start', async () => out.includes('watching'));
    watch.child.kill('SIGINT');
    const watched = await watch.done;
    expect(watched.stdout).toContain(`watching ${project} (Ctrl-C to stop)`);
    expect(watched.stderr).toBe(`codectx: watching ${project}, the indexed codebase this folder is in (\`codectx watch .\` watches the folder on its own)\n`);
    expect((await cli(['list', '--indexes'])).stdout).not.toContain(src);

    const added = await runCli(['add', 'src'], { home, cwd: project });
    expect(added.code, added.stderr).toBe(0);
    expect(added.stderr).toBe(`codectx: ${src} is inside the indexed codebase ${project}; it is indexed on its own, and search there uses its index, not that one\n`);
  });
});

describe('input that is almost right', () => {
  const refused = async (args: string[], message: string, env: NodeJS.ProcessEnv = {}) => {
    const result = await cli(args, env);
    expect(result.stdout, args.join(' ')).toBe('');
    expect(result.stderr, args.join(' ')).toBe(`codectx: ${message}\n`);
    return result.code;
  };

  it('numbers are plain decimal integers in their documented range', async () => {
    for (const limit of ['0x10', '1e9', ' 3', '3.0', '0', '1001']) {
      expect(await refused(['search', 'config', '--limit', limit], `--limit must be an integer from 1 to 1000, got "${limit}"`)).toBe(2);
    }
    for (const tokens of ['1e9', '15', '401', '0x20']) {
      expect(await refused(['chunk', RED, '--max-tokens', tokens], `--max-tokens must be an integer from 16 to 400, got "${tokens}"`)).toBe(2);
    }
    expect(await refused(['daemon', 'logs', '-n', '1e2'], '--lines must be an integer of at least 1, got "1e2"')).toBe(2);
    const json = await cli(['search', 'config', '--limit', '1', '--json']);
    expect(JSON.parse(json.stdout).results).toHaveLength(1);
  });

  it('an empty path is refused, not read as the current folder', async () => {
    expect(await refused(['index', ''], 'the path is empty; use . for the current folder')).toBe(2);
    expect(await refused(['status', ''], 'the path is empty; use . for the current folder')).toBe(2);
    expect(await refused(['remove', ''], 'the path is empty; use . for the current folder')).toBe(2);
    expect(await refused(['search', 'config', '--path', ''], '--path is empty; use . for the current folder')).toBe(2);
    expect(await refused(['chunk', ''], 'the file name is empty')).toBe(2);
  });

  // Seen: `--model "$MODEL"` with MODEL unset routed by the rules without a word (exit 0).
  it('an empty or blank --model is refused, not read as no --model', async () => {
    for (const model of ['', '   ']) {
      expect(await refused(['route', 'Add a retry option', '--rules-only', '--model', model], '--model is empty; leave it out to route by the task')).toBe(2);
      expect(await refused(['ask', 'Add a retry option', '--no-context', '--model', model], '--model is empty; leave it out to route by the task')).toBe(2);
    }
  });

  it('chunk refuses a FIFO, which index skips, instead of waiting for a writer', async () => {
    // Seen: `codectx chunk pipe.ts` on a FIFO blocked forever.
    const folder = join(base, 'fifo');
    await mkdir(folder);
    execFileSync('mkfifo', [join(folder, 'pipe.ts')]);
    const result = await runCli(['chunk', 'pipe.ts'], { home, cwd: folder });
    expect(result).toEqual({ code: 2, stdout: '', stderr: 'codectx: pipe.ts is not a regular file; index skips it\n' });
  });

  // Both were "no such file", the name shown with U+FFFD where its bytes are not UTF-8; index names them as here.
  it('chunk names a symlink loop, and a file name that is not UTF-8 by its bytes', async () => {
    const folder = join(base, 'odd-names');
    await mkdir(folder);
    await symlink('self.ts', join(folder, 'self.ts'));
    await writeFile(Buffer.from(`${folder}/bad\xff.ts`, 'latin1'), 'let c = 3;\n');
    expect(await runCli(['chunk', 'self.ts'], { home, cwd: folder })).toEqual({
      code: 2,
      stdout: '',
      stderr: 'codectx: self.ts is a symlink loop (a link that leads back to itself); index skips it\n',
    });
    // What Node makes of the name's bytes on the command line: U+FFFD in place of \xff.
    expect(await runCli(['chunk', 'bad\uFFFD.ts'], { home, cwd: folder })).toEqual({
      code: 2,
      stdout: '',
      stderr: 'codectx: bad\\xff.ts: its name is not valid UTF-8; index skips it\n',
    });
  });

  it('a bad --store is a usage error (2) like the rest; a bad environment value is shown as given', async () => {
    expect(await refused(['status', '--store', 'foo'], 'unknown --store "foo"; use lancedb or milvus')).toBe(2);
    expect(await refused(['index', '--dry-run', '--store', 'foo'], 'unknown --store "foo"; use lancedb or milvus')).toBe(2);
    expect(await refused(['status'], 'CODECTX_MAX_FILE_BYTES must be a positive integer, got "abc"', { CODECTX_MAX_FILE_BYTES: 'abc' })).toBe(1);
  });

  // `help serch` printed the whole help (exit 2) with no suggestion, where `serch` alone got one.
  it('help for a misspelt command suggests the command, as the misspelt command does', async () => {
    const direct = await cli(['serch']);
    // One line, as every usage error (it was two: "(Did you mean search?)" on its own line).
    expect(direct).toEqual({ code: 2, stdout: '', stderr: "codectx: unknown command 'serch'; did you mean search?\n" });
    expect(await cli(['help', 'serch'])).toEqual(direct);
    // Commander's usage errors read as every other codectx error does.
    expect(await cli(['search', 'x', '--bogus'])).toEqual({ code: 2, stdout: '', stderr: "codectx: unknown option '--bogus'\n" });
    expect(await cli(['--verbose', 'help', 'serch'])).toEqual(direct);
    const help = await cli(['help', 'search']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: codectx search \[options\] <query>\n/);
    expect((await cli(['help'])).stdout).toMatch(/^Usage: codectx \[options\] \[command\]\n/);
  });

  it('remove of a codebase that is not registered says so and fails', async () => {
    const missing = join(base, 'not-registered');
    expect(await refused(['remove', missing], `${missing} is not registered (\`codectx list\` shows the registered codebases)`)).toBe(2);
  });

  it('--kind takes any case, as --lang does', async () => {
    const json = await cli(['search', 'parse config', '--kind', 'FUNCTION', '--lang', 'PY', '--json']);
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout).results.length).toBeGreaterThan(0);
  });
});

describe('counts as read', () => {
  // The summary counted the walk's files ("8 files … 1 not indexed" where status said 7), a file turned binary as
  // changed, and one grown past the size limit as deleted.
  it('the index summary and status count the same files, and skips the same way', async () => {
    const tree = join(base, 'skips');
    await mkdir(tree);
    const env = { CODECTX_MAX_FILE_BYTES: '4000' };
    for (const name of ['a', 'b', 'c', 'd']) await writeFile(join(tree, `${name}.py`), `def ${name}_fn():\n    return "${name}"\n`);
    await writeFile(join(tree, 'blob.py'), Buffer.from([0, 1, 2, 0, 255]));
    await writeFile(join(tree, 'huge.py'), `# ${'x'.repeat(5000)}\n`);
    const agree = async (summary: RegExp) => {
      const index = await cli(['index', tree, '-q'], env);
      expect(index.code, index.stderr).toBe(0);
      expect(index.stdout).toMatch(summary);
      const files = Number(/^(?:indexed|up to date:) (\d+) files?/.exec(index.stdout)![1]);
      const status = await cli(['status', tree], env);
      expect(status.stdout).toMatch(new RegExp(`^index: +${files} files?, `, 'm'));
      expect(status.stdout).toContain(`\nstale:     0 changed or new, 0 deleted since the last index\n`);
      // status adds where the names are: `index --dry-run` lists them.
      const skippedLine = (text: string) => text.split('\n').find((line) => line.startsWith('skipped:'))?.replace(/ +/, ' ').replace(' (`codectx index --dry-run` names them)', '');
      expect(skippedLine(status.stdout)).toBe(skippedLine(index.stdout));
    };

    await agree(/^indexed 4 files in \d+s: 4 new or changed, 0 deleted, 0 unchanged\nchunks: .*\nskipped: 1 too-large, 1 binary\n$/);
    await agree(/^up to date: 4 files, 4 chunks \(nothing changed\)\nskipped: 1 too-large, 1 binary\n$/);

    // One grows past the limit, one turns binary: status says what the next run does, and the run says it so.
    await writeFile(join(tree, 'c.py'), `def c_fn():\n    return "${'c'.repeat(5000)}"\n`);
    await writeFile(join(tree, 'd.py'), Buffer.from([0, 0, 7]));
    const before = (await cli(['status', tree], env)).stdout;
    expect(before).toContain('\nstale:     0 changed or new, 0 deleted, 2 now skipped since the last index (run `codectx index` to refresh)\n');
    expect(JSON.parse((await cli(['status', tree, '--json'], env)).stdout).droppedFiles.sort()).toEqual(['c.py', 'd.py']);
    await agree(/^indexed 2 files in \d+s: 0 new or changed, 0 deleted, 2 unchanged, 2 now skipped\nchunks: 0 written .*, 2 in the index\nskipped: 2 too-large, 2 binary\n$/);
    await agree(/^up to date: 2 files, 2 chunks \(nothing changed\)\nskipped: 2 too-large, 2 binary\n$/);
  });

  it('one file is "1 file"; a folder with nothing to index says so', async () => {
    const one = join(base, 'one');
    await mkdir(one);
    await writeFile(join(one, 'a.py'), 'def answer():\n    return 42\n');
    expect((await cli(['index', one, '-q'])).stdout).toMatch(/^indexed 1 file in \d+s: 1 new or changed, 0 deleted, 0 unchanged\n/);
    expect((await cli(['index', one])).stdout).toBe('up to date: 1 file, 1 chunk (nothing changed)\n');
    expect((await cli(['status', one])).stdout).toMatch(/^index: {5}1 file, 1 chunk, updated/m);
    expect((await cli(['clear', one])).stdout).toBe(`cleared the index of ${one} (1 chunk)\n`);

    // A file skipped for its content is among the skipped ones, not among the files indexed.
    await writeFile(join(one, 'blob.py'), Buffer.from([0, 1, 2, 0, 255, 0, 7]));
    await writeFile(join(one, 'a.py'), 'def answer():\n    return 43\n');
    expect((await cli(['index', one, '-q'])).stdout).toMatch(
      /^indexed 1 file in \d+s: 1 new or changed, 0 deleted, 0 unchanged\nchunks: .*\nskipped: 1 binary\n$/,
    );

    const binaryOnly = join(base, 'binary-only');
    await mkdir(binaryOnly);
    await writeFile(join(binaryOnly, 'blob.py'), Buffer.from([0, 1, 2]));
    expect((await cli(['index', binaryOnly])).stdout).toBe(`no files to index in ${binaryOnly} (skipped: 1 binary)\n`);

    const empty = join(base, 'empty');
    await mkdir(empty);
    expect(await cli(['index', empty])).toEqual({ code: 0, stdout: `no files to index in ${empty}\n`, stderr: '' });
  });
});
