import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { readdir, mkdir, mkdtemp, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { walkCodebase } from '../src/files/walk.js';
import { IgnoreMatcher } from '../src/daemon/ignoreMatcher.js';
import { rotatingLog } from '../src/daemon/logger.js';
import { listCodebases, registerCodebase, unregisterCodebase } from '../src/daemon/registry.js';
import { watchTree, type WatchEvent } from '../src/daemon/watcher.js';

let root: string;

async function put(relPath: string, content = 'export const x = 1;\n'): Promise<void> {
  await mkdir(join(root, relPath, '..'), { recursive: true });
  await writeFile(join(root, relPath), content);
}

async function allFiles(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...(await allFiles(join(dir, entry.name), rel)));
    else out.push(rel);
  }
  return out;
}

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'codectx-daemon-unit-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('IgnoreMatcher (the watcher side of the ignore rules)', () => {
  it('ignores exactly the files the walker skips, across levels, negation and defaults', async () => {
    await put('.gitignore', '*.gen.ts\n/generated/\nsecret*\n!secret_ok.py\n');
    await put('app.ts');
    await put('types.gen.ts');
    await put('generated/out.py');
    await put('lib/generated/kept.py');
    await put('secret_key.py');
    await put('secret_ok.py');
    await put('lib/.codectxignore', 'local_*.py\n!local_keep.py\n');
    await put('lib/local_tmp.py');
    await put('lib/local_keep.py');
    await put('other/local_tmp.py');
    await put('node_modules/dep/index.js');
    await put('dist/main.js');
    await put('vendor.min.js');
    await put('extra/skip.ts');

    const walked = new Set((await walkCodebase(root, { ignore: ['extra/'] })).files.map((file) => file.path));
    const matcher = new IgnoreMatcher(root, ['extra/']);
    const sources = (await allFiles(root)).filter((path) => /\.(ts|py|js)$/.test(path));
    expect(sources.length).toBeGreaterThan(10);
    for (const path of sources) {
      expect(matcher.ignores(join(root, path)), path).toBe(!walked.has(path));
    }
    // Directories are matched as directories, so `dir/` patterns prune whole trees for chokidar.
    expect(matcher.ignores(join(root, 'node_modules'))).toBe(true);
    expect(matcher.ignores(join(root, 'generated'))).toBe(true);
    expect(matcher.ignores(join(root, 'lib/generated'))).toBe(false);
    expect(matcher.ignores(root)).toBe(false);
  });

  it('takes a root file whose name starts with two dots as inside the root, a parent path as outside', () => {
    const matcher = new IgnoreMatcher(root);
    expect(matcher.relativePath(join(root, '..notes.py'))).toBe('..notes.py');
    expect(matcher.relativePath(join(root, 'lib', '..data', 'a.py'))).toBe('lib/..data/a.py');
    expect(matcher.relativePath(join(root, '..', 'elsewhere.py'))).toBeUndefined();
    expect(matcher.relativePath(root)).toBeUndefined();
  });

  it('sees a changed ignore file after forget()', async () => {
    await put('a.ts');
    const matcher = new IgnoreMatcher(root);
    expect(matcher.ignores(join(root, 'a.ts'))).toBe(false);
    await put('.gitignore', 'a.ts\n');
    expect(matcher.ignores(join(root, 'a.ts'))).toBe(false);
    matcher.forget();
    expect(matcher.ignores(join(root, 'a.ts'))).toBe(true);
  });
});

describe('watchTree', () => {
  it('reports source changes and rule changes, not ignored trees or non-source files', async () => {
    await put('src/keep.ts');
    await put('node_modules/dep/index.js');
    const events: WatchEvent[] = [];
    const watcher = watchTree(root, [], (event) => events.push(event), (error) => {
      throw error;
    });
    try {
      await watcher.ready;
      await put('node_modules/dep/index.js', 'changed');
      await put('notes.bin', 'not source');
      await put('src/keep.ts', 'export const y = 2;\n');
      await put('.gitignore', 'tmp/\n');
      await waitUntil(() => events.some((event) => event.kind === 'rules') && events.some((e) => e.kind === 'change'));
      // Give the ignored writes time to surface if they were (wrongly) watched.
      await new Promise((resolve) => setTimeout(resolve, 500));
      const changes = events.filter((event) => event.kind === 'change').map((event) => (event as { path: string }).path);
      expect(new Set(changes)).toEqual(new Set(['src/keep.ts']));
      expect(events).toContainEqual({ kind: 'rules', path: '.gitignore' });
    } finally {
      await watcher.close();
    }
  });
});

describe('watchTree and the rules above the root', () => {
  // An edit of .git/info/exclude, or of the repository's .gitignore above a subfolder indexed on its own, went
  // unseen: the files it ignored stayed in the index, those it let in stayed out, until some other change.
  it('reports an edit of the exclude file and of an ignore file above the root as a rule change', async () => {
    await mkdir(join(root, '.git', 'info'), { recursive: true });
    await put('pkg/sub/keep.ts');
    const events: WatchEvent[] = [];
    const watcher = watchTree(join(root, 'pkg'), [], (event) => events.push(event), (error) => {
      throw error;
    });
    try {
      await watcher.ready;
      await writeFile(join(root, '.git', 'info', 'exclude'), 'sub/\n');
      await waitUntil(() => events.length > 0, 5000);
      expect(events).toEqual([{ kind: 'rules', path: join('..', '.git', 'info', 'exclude') }]);
      events.length = 0;
      await writeFile(join(root, '.gitignore'), 'pkg/sub/\n');
      await writeFile(join(root, '.codectxignore'), 'pkg/other/\n');
      await waitUntil(() => events.length >= 2, 5000);
      expect(new Set(events)).toEqual(new Set([{ kind: 'rules', path: join('..', '.gitignore') }, { kind: 'rules', path: join('..', '.codectxignore') }]));
    } finally {
      await watcher.close();
    }
  });
});

describe('watchTree and links', () => {
  // The watcher followed a link to /etc and watched (and reported) files outside the codebase.
  it('does not watch through a link that leaves the root', async () => {
    const outside = await mkdtemp(join(tmpdir(), 'codectx-outside-'));
    await writeFile(join(outside, 'secret.ts'), 'export const key = 1;\n');
    await put('src/keep.ts');
    await symlink(outside, join(root, 'linked'));
    const events: WatchEvent[] = [];
    const watcher = watchTree(root, [], (event) => events.push(event), (error) => {
      throw error;
    });
    try {
      await watcher.ready;
      await writeFile(join(outside, 'secret.ts'), 'export const key = 2;\n');
      await writeFile(join(outside, 'more.ts'), 'export const more = 3;\n');
      await put('src/keep.ts', 'export const y = 2;\n');
      await waitUntil(() => events.some((event) => event.kind === 'change'));
      await new Promise((resolve) => setTimeout(resolve, 500));
      const changes = events.filter((event) => event.kind === 'change').map((event) => (event as { path: string }).path);
      expect(changes).toEqual(['src/keep.ts']);
    } finally {
      await watcher.close();
      await rm(outside, { recursive: true, force: true });
    }
  });
});

describe('watchTree and a link replaced', () => {
  // chokidar keeps a link it does not follow only as a name in its folder's listing: a checkout that replaced the
  // link with a file of that name, and every save of the file after it, went unreported, so it stayed out of the index.
  it('reports a link replaced by a file of its name, and the later saves of that file', async () => {
    await put('src/real.ts');
    await symlink('src/real.ts', join(root, 'alias.ts'));
    const elsewhere = await mkdtemp(join(tmpdir(), 'codectx-replacement-'));
    await writeFile(join(elsewhere, 'alias.ts'), 'export const own = 1;\n');
    const events: WatchEvent[] = [];
    const watcher = watchTree(root, [], (event) => events.push(event), (error) => {
      throw error;
    });
    const aliasChanged = () => events.some((event) => event.kind === 'change' && event.path === 'alias.ts');
    try {
      await watcher.ready;
      await new Promise((resolve) => setTimeout(resolve, 300));
      events.length = 0;
      // In one step, as the listing can never see the name missing.
      await rename(join(elsewhere, 'alias.ts'), join(root, 'alias.ts'));
      await waitUntil(aliasChanged, 5000);
      events.length = 0;
      await writeFile(join(root, 'alias.ts'), 'export const own = 2;\n');
      await waitUntil(aliasChanged, 5000);
    } finally {
      await watcher.close();
      await rm(elsewhere, { recursive: true, force: true });
    }
  });

  it('asks for a new watch of a folder that replaced a link of its name', async () => {
    await put('lib/real.ts');
    await symlink('lib', join(root, 'linked'));
    const events: WatchEvent[] = [];
    const watcher = watchTree(root, [], (event) => events.push(event), (error) => {
      throw error;
    });
    try {
      await watcher.ready;
      // In one turn of the event loop, as a checkout is quicker than chokidar's next read of the folder.
      rmSync(join(root, 'linked'));
      mkdirSync(join(root, 'linked'));
      writeFileSync(join(root, 'linked', 'own.ts'), 'export const own = 1;\n');
      await waitUntil(() => events.some((event) => event.kind === 'rewatch'), 5000);
      expect(events).toContainEqual({ kind: 'rewatch', path: 'linked' });
    } finally {
      await watcher.close();
    }
  });
});

describe('codebase registry', () => {
  it('keeps every codebase registered concurrently, once', async () => {
    const path = join(root, 'home', 'codebases.json');
    const roots = Array.from({ length: 20 }, (_, index) => `/work/project-${index}`);
    const added = await Promise.all([...roots, ...roots].map((item) => registerCodebase(item, path)));
    expect(added.filter(Boolean)).toHaveLength(20);
    expect((await listCodebases(path)).map((entry) => entry.root).sort()).toEqual([...roots].sort());
    expect(await unregisterCodebase('/work/project-3', path)).toBe(true);
    expect(await unregisterCodebase('/work/project-3', path)).toBe(false);
    expect(await listCodebases(path)).toHaveLength(19);
    expect(JSON.parse(await readFile(path, 'utf8'))).toHaveProperty('codebases');
  });

  it('names a damaged registry file', async () => {
    const path = join(root, 'codebases.json');
    await writeFile(path, '{ nope');
    await expect(listCodebases(path)).rejects.toThrow(/registry .* is damaged/);
  });
});

describe('rotatingLog', () => {
  it('rotates at the size limit and keeps only the newest files', async () => {
    const path = join(root, 'daemon.log');
    const log = rotatingLog(path, { maxBytes: 1000, keep: 3 });
    for (let line = 0; line < 200; line++) log.info(`line ${line} ${'x'.repeat(50)}`);
    const names = (await readdir(root)).sort();
    expect(names).toEqual(['daemon.log', 'daemon.log.1', 'daemon.log.2', 'daemon.log.3']);
    const newest = await readFile(path, 'utf8');
    expect(newest).toContain('line 199');
    expect(Buffer.byteLength(newest)).toBeLessThanOrEqual(1000);
    expect(await readFile(`${path}.3`, 'utf8')).not.toContain('line 0 ');
  });

  // A codebase path with a newline in it ("watching /tmp/x\ny") was written raw and read as two entries.
  it("writes each entry on one line, escaped, and a crash's stack as indented frames below it", async () => {
    const path = join(root, 'entries.log');
    const log = rotatingLog(path);
    log.info('watching /tmp/x\ny \x1b[31mred');
    const error = new Error('boom');
    log.error('uncaught exception, shutting down: boom', error.stack);
    const lines = (await readFile(path, 'utf8')).trimEnd().split('\n');
    expect(lines[0]).toMatch(/^\S+ info  watching \/tmp\/x\\ny \\x1b\[31mred$/);
    expect(lines[1]).toMatch(/^\S+ error uncaught exception, shutting down: boom$/);
    expect(lines.length).toBeGreaterThan(2);
    for (const frame of lines.slice(2)) expect(frame).toMatch(/^    at /);
  });
});

async function waitUntil(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
