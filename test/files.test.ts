import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readSourceFile } from '../src/files/read.js';
import { walkCodebase, walkPaths } from '../src/files/walk.js';

let root: string;

async function put(relPath: string, content: string | Buffer = 'x = 1\n'): Promise<void> {
  await mkdir(join(root, relPath, '..'), { recursive: true });
  await writeFile(join(root, relPath), content);
}

async function walkedPaths(options = {}): Promise<string[]> {
  return (await walkCodebase(root, options)).files.map((file) => file.path);
}

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'codectx-walk-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('walkCodebase', () => {
  it('honours .gitignore at every level, negation and root-anchored directories', async () => {
    await put('.gitignore', '*.log.py\n/generated/\nsecret*\n!secret_ok.py\n');
    await put('app.py');
    await put('debug.log.py');
    await put('generated/out.py');
    await put('lib/generated/kept.py'); // /generated/ is anchored at the root only
    await put('secret_key.py');
    await put('secret_ok.py');
    await put('lib/.gitignore', 'local_*.py\n!local_keep.py\n');
    await put('lib/local_tmp.py');
    await put('lib/local_keep.py');
    await put('lib/mod.py');
    await put('other/local_tmp.py'); // lib's rules do not reach here
    expect(await walkedPaths()).toEqual([
      'app.py',
      'lib/generated/kept.py',
      'lib/local_keep.py',
      'lib/mod.py',
      'other/local_tmp.py',
      'secret_ok.py',
    ]);
  });

  // The ignore package threw an invalid-regex error at the first match, and every index run of the repo failed.
  it('passes over a .gitignore line it cannot compile (a trailing backslash) and keeps the other lines', async () => {
    await put('.gitignore', 'a\\\\\\\n*.log.py\n');
    await put('app.py');
    await put('debug.log.py');
    expect(await walkedPaths()).toEqual(['app.py']);
    // Patterns given with the run (an MCP client's ignorePatterns) likewise.
    expect(await walkedPaths({ ignore: ['b\\\\\\', '*.log.py'] })).toEqual(['app.py']);
  });

  it('applies .codectxignore, configured patterns and the built-in defaults', async () => {
    await put('.codectxignore', 'fixtures/\n');
    await put('src/main.ts');
    await put('fixtures/big.ts');
    await put('node_modules/dep/index.js');
    await put('dist/main.js');
    await put('vendor.min.js');
    await put('bundle.js.map');
    await put('package-lock.json', '{}');
    await put('.env.local', 'KEY=1');
    await put('.git/config', '[core]');
    await put('scratch/notes.ts');
    await put('image.png', Buffer.from([0x89, 0x50]));
    expect(await walkedPaths({ ignore: ['scratch/'] })).toEqual(['src/main.ts']);
  });

  it('skips too-large files with a reason and never follows a symlink loop forever', async () => {
    await put('small.ts', 'let a = 1;\n');
    await put('large.ts', 'x'.repeat(2000));
    await mkdir(join(root, 'loop'));
    await symlink(root, join(root, 'loop', 'back'));
    await symlink(join(root, 'missing.ts'), join(root, 'dangling.ts'));
    const result = await walkCodebase(root, { maxFileBytes: 1000 });
    expect(result.files.map((file) => file.path)).toEqual(['small.ts']);
    const reasons = Object.fromEntries(result.skipped.map((item) => [item.path, item.reason]));
    expect(reasons).toEqual({ 'large.ts': 'too-large', 'loop/back': 'symlink-loop', 'dangling.ts': 'unreadable' });
  });

  // `ln -s self self` was reported as a broken symlink, and a name that is not UTF-8 as "unreadable" with U+FFFD shown.
  it('names a link to itself a loop, and a file name that is not UTF-8 by its bytes', async () => {
    await put('good.ts', 'let a = 1;\n');
    await put('ok\uFFFD.ts', 'let b = 2;\n'); // U+FFFD is a character of its own, and valid UTF-8
    await symlink('self', join(root, 'self'));
    await writeFile(Buffer.from(`${root}/bad\xff\xfename.ts`, 'latin1'), 'let c = 3;\n');
    const result = await walkCodebase(root);
    expect(result.files.map((file) => file.path).sort()).toEqual(['good.ts', 'ok\uFFFD.ts']);
    expect([...result.skipped].sort((a, b) => a.path.localeCompare(b.path))).toEqual([
      { path: 'bad\\xff\\xfename.ts', reason: 'unreadable', detail: 'its name is not valid UTF-8' },
      { path: 'self', reason: 'symlink-loop', detail: 'a link that leads back to itself' },
    ]);
  });

  // root reads every directory whatever its mode, so this case only exists for ordinary users.
  it.skipIf(process.getuid?.() === 0)('records an unreadable directory instead of failing', async () => {
    await put('locked/a.ts');
    await chmod(join(root, 'locked'), 0o000);
    const result = await walkCodebase(root);
    expect(result.skipped).toContainEqual(expect.objectContaining({ path: 'locked', reason: 'unreadable' }));
  });

  it('lists a linked file once, under its own path; a link to a file the walk leaves out is listed', async () => {
    await put('.gitignore', 'private/\n');
    await put('deco.py', 'def log_calls(f):\n    return f\n');
    await put('private/tool.py');
    await symlink('deco.py', join(root, 'link_to_deco.py'));
    await mkdir(join(root, 'sub'));
    await symlink('../link_to_deco.py', join(root, 'sub', 'chained.py'));
    await symlink('private/tool.py', join(root, 'tool.py'));
    expect(await walkedPaths()).toEqual(['deco.py', 'tool.py']);
    // The daemon's walk of the paths a change touched agrees, though the target is not among them.
    expect((await walkPaths(root, ['link_to_deco.py', 'sub/chained.py', 'tool.py'])).files.map((file) => file.path)).toEqual(['tool.py']);
  });

  it('lists a linked folder\'s files once, under their real path, whichever name readdir gives first', async () => {
    // Seen: with src_alias -> src, the files were indexed as src_alias/… when the walk reached the link first,
    // and src itself was reported as a symlink loop.
    await put('.gitignore', 'private/\n');
    await put('m_real/auth.py');
    await put('m_real/deep/token.py');
    await put('private/tools/tool.py');
    await symlink('m_real', join(root, 'a_link'));
    await symlink('m_real', join(root, 'z_link'));
    await symlink('..', join(root, 'm_real', 'deep', 'up'));
    await symlink('private/tools', join(root, 'tools'));
    const walk = await walkCodebase(root);
    expect(walk.files.map((file) => file.path)).toEqual(['m_real/auth.py', 'm_real/deep/token.py', 'tools/tool.py']);
    // A copy is left out quietly, as a linked file is; a link back up is still a loop.
    expect(walk.skipped).toEqual([expect.objectContaining({ path: 'm_real/deep/up', reason: 'symlink-loop' })]);
    // The daemon's walk of a new link agrees, though the target is not among the paths.
    expect((await walkPaths(root, ['a_link', 'tools'])).files.map((file) => file.path)).toEqual(['tools/tool.py']);
  });

  it('rejects a missing root with a one-line usage error', async () => {
    await expect(walkCodebase(join(root, 'nope'))).rejects.toThrow(/no such directory/);
  });
});

describe('readSourceFile', () => {
  it('reads UTF-8 text and strips a BOM', async () => {
    await put('a.py', '\ufeffprint("héllo")\n');
    expect(await readSourceFile(join(root, 'a.py'), root)).toMatchObject({ ok: true, text: 'print("héllo")\n' });
  });

  it('refuses binary and non-UTF-8 files with a reason', async () => {
    await put('bin.js', Buffer.from([0x61, 0x00, 0x62]));
    await put('latin1.js', Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]));
    expect(await readSourceFile(join(root, 'bin.js'), root)).toMatchObject({ ok: false, reason: 'binary' });
    expect(await readSourceFile(join(root, 'latin1.js'), root)).toMatchObject({ ok: false, reason: 'not-utf8' });
    expect(await readSourceFile(join(root, 'gone.js'), root)).toMatchObject({ ok: false, reason: 'unreadable' });
  });

  // Random bytes with no NUL were "minified"; UTF-16 text (its NULs) was "binary".
  it('calls control-character noise binary and UTF-16 text not UTF-8, and reads text with colour codes', async () => {
    let seed = 1;
    const noise = Buffer.from(Array.from({ length: 5000 }, () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), 1 + (seed % 126))));
    await put('blob.c', Buffer.from(noise.map((byte) => (byte === 0x0a ? 0x20 : byte))));
    await put('utf16.py', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('x = 1\n', 'utf16le')]));
    await put('ansi.txt', '\x1b[31mred\x1b[0m\tand\fplain\r\n'.repeat(50));
    expect(await readSourceFile(join(root, 'blob.c'), root)).toMatchObject({ ok: false, reason: 'binary' });
    expect(await readSourceFile(join(root, 'utf16.py'), root)).toMatchObject({ ok: false, reason: 'not-utf8', detail: 'UTF-16, by its byte order mark' });
    expect(await readSourceFile(join(root, 'ansi.txt'), root)).toMatchObject({ ok: true });
  });

  it('refuses minified one-liners but reads long ordinary files', async () => {
    await put('bundle.js', `var a=${'[1,2,3],'.repeat(2000)}0;\n`);
    await put('long.js', 'const value = compute(1, 2, 3);\n'.repeat(2000));
    expect(await readSourceFile(join(root, 'bundle.js'), root)).toMatchObject({ ok: false, reason: 'minified' });
    expect(await readSourceFile(join(root, 'long.js'), root)).toMatchObject({ ok: true });
  });
});

describe('links out of the codebase (issue 13)', () => {
  let outside: string;
  beforeEach(async () => {
    outside = await mkdtemp(join(tmpdir(), 'codectx-outside-'));
    await mkdir(join(outside, 'etc'));
    await writeFile(join(outside, 'etc', 'passwd.py'), 'root = "x:0:0"\n');
    await writeFile(join(outside, 'secret.py'), 'token = 1\n');
  });
  afterEach(async () => {
    await rm(outside, { recursive: true, force: true });
  });

  it('never walks into a linked folder or a linked file whose real path is outside the root', async () => {
    await put('src/app.py');
    await symlink(join(outside, 'etc'), join(root, 'etc_link'));
    await symlink(join(outside, 'secret.py'), join(root, 'notes.py'));
    // A sibling whose name merely starts with the root's is outside too.
    await mkdir(`${root}2`, { recursive: true });
    await writeFile(`${root}2/near.py`, 'y = 2\n');
    await symlink(`${root}2`, join(root, 'near_link'));
    // Links that stay inside keep working (the file is listed once, under its own path).
    await symlink(join(root, 'src'), join(root, 'src_alias'));
    await symlink(join(root, 'src', 'app.py'), join(root, 'app_alias.py'));
    const walk = await walkCodebase(root);
    await rm(`${root}2`, { recursive: true, force: true });
    expect(walk.files.map((f) => f.path).sort()).toEqual(['src/app.py']);
    expect(walk.skipped.filter((s) => s.reason === 'outside-root').map((s) => s.path).sort()).toEqual(['etc_link', 'near_link', 'notes.py']);
  });

  it('does not read a file swapped for a link out of the root after the walk', async () => {
    await put('app.py');
    const [file] = (await walkCodebase(root)).files;
    await rm(join(root, 'app.py'));
    await symlink(join(outside, 'secret.py'), join(root, 'app.py'));
    expect(await readSourceFile(file!.absPath, root)).toMatchObject({ ok: false, reason: 'outside-root' });
  });
});
