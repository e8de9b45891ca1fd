/**
 * The chunker at repository scale: this project's own sources and the head of TypeScript's 9 MB compiled
 * bundle, plus the `codectx chunk` command as a user runs it.
 */
import { mkdir, mkdtemp, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as lancedb from '@lancedb/lancedb';
import { beforeAll, describe, expect, it } from 'vitest';
import { createChunker, languageForPath, type Chunker } from '../src/chunk/chunker.js';
import { CHUNK_KINDS } from '../src/chunk/types.js';
import { expectConsistent } from './chunk.invariants.js';
import { fixtureWorkspace, PROJECT_ROOT, runCli } from './helpers/cli.js';

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile() && e.name.endsWith('.ts')).map((e) => path.join(e.parentPath, e.name));
}

let chunker: Chunker;
beforeAll(async () => {
  chunker = await createChunker({ maxTokens: 256 });
});

describe('repository scale', () => {
  it("chunks this project's src/ into consistent, named chunks", async () => {
    const files = await sourceFiles(path.join(PROJECT_ROOT, 'src'));
    expect(files.length).toBeGreaterThan(20);
    let named = 0;
    let total = 0;
    for (const file of files) {
      const content = await readFile(file, 'utf8');
      const relative = path.relative(PROJECT_ROOT, file);
      const chunks = await chunker.chunk(relative, content);
      expectConsistent(chunks, content);
      for (const chunk of chunks) {
        expect(chunk.file).toBe(relative);
        expect(chunk.language).toBe('typescript');
        expect(CHUNK_KINDS).toContain(chunk.kind);
      }
      total += chunks.length;
      named += chunks.filter((c) => c.symbol !== '').length;
    }
    // Source made of functions and classes: most chunks carry a symbol.
    expect(named / total).toBeGreaterThan(0.7);
  });

  it('chunks the head of typescript.js (generated, deeply nested code)', async () => {
    const full = await readFile(path.join(PROJECT_ROOT, 'node_modules/typescript/lib/typescript.js'), 'utf8');
    const content = full.split('\n').slice(0, 30_000).join('\n');
    const chunks = await chunker.chunk('node_modules/typescript/lib/typescript.js', content);
    expectConsistent(chunks, content);
    expect(chunks.length).toBeGreaterThan(1000);
    expect(chunks.find((c) => c.symbol === 'createScanner')).toMatchObject({ kind: 'function', language: 'javascript' });
  });

  it('detects languages by extension and file name', () => {
    expect(languageForPath('src/a/b.tsx')).toBe('tsx');
    expect(languageForPath('lib/x.MJS')).toBe('javascript');
    expect(languageForPath('Gemfile')).toBe('ruby');
    expect(languageForPath('include/list.h')).toBe('c');
    expect(languageForPath('include/list.hpp')).toBe('cpp');
    expect(languageForPath('notes.txt')).toBeUndefined();
    expect(languageForPath('Makefile')).toBeUndefined();
  });

  it('reads a C++ header as C++', async () => {
    const content = 'namespace geo {\nclass Point {\n public:\n  double x;\n};\n}\n';
    expect((await chunker.chunk('include/point.h', content))[0]!.language).toBe('cpp');
    expect((await chunker.chunk('include/list.h', 'struct list { int n; };\n'))[0]!.language).toBe('c');
  });
});

describe('codectx chunk', () => {
  let home: string;
  beforeAll(async () => {
    home = await mkdtemp(path.join(tmpdir(), 'codectx-chunk-'));
  });

  it('prints one line per chunk', async () => {
    const result = await runCli(['chunk', 'test/fixtures/languages/go.go'], { home });
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n')).toContain('41-51 method Get (LRU)');
  });

  it('prints JSON with --json and honours --max-tokens', async () => {
    const result = await runCli(['chunk', 'test/fixtures/languages/python.py', '--json', '--max-tokens', '32'], { home });
    expect(result.code).toBe(0);
    const chunks = JSON.parse(result.stdout);
    expect(chunks[0]).toMatchObject({ file: 'test/fixtures/languages/python.py', language: 'python', startLine: 1 });
    expect(chunks.length).toBeGreaterThan(10);
  });

  it('says when --max-tokens is over what the model embeds, and cuts as index would', async () => {
    const file = 'test/fixtures/languages/python.py';
    const over = await runCli(['chunk', file, '--max-tokens', '400'], { home });
    const within = await runCli(['chunk', file, '--max-tokens', '200'], { home });
    expect([over.code, within.code]).toEqual([0, 0]);
    expect(over.stderr.trim()).toMatch(/^codectx: --max-tokens 400 is over what the embedding model takes with a chunk's name; cut at \d+, as index would$/);
    const cut = Number(/cut at (\d+)/.exec(over.stderr)![1]);
    expect(over.stdout).toBe((await runCli(['chunk', file, '--max-tokens', String(cut)], { home })).stdout);
    expect(within.stderr).toBe('');
  });

  it('fails with one line for a missing file', async () => {
    const result = await runCli(['chunk', 'no/such/file.ts'], { home });
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain('no such file: no/such/file.ts');
  });

  it('fails with one line for a folder and for files the index skips', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'codectx-chunk-input-'));
    await writeFile(path.join(dir, 'image.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]));
    await writeFile(path.join(dir, 'latin1.txt'), Buffer.from('caf\xe9 cr\xe8me\n', 'latin1'));
    await mkdir(path.join(dir, 'src'));
    // Key files and .env are never read, not even to be shown cut.
    await writeFile(path.join(dir, '.env'), 'API_TOKEN=x\n');
    await writeFile(path.join(dir, 'id_rsa'), '-----BEGIN OPENSSH PRIVATE KEY-----\n');
    // What the codebase's own ignore files leave out, and file types the index does not read, are not cut either.
    await writeFile(path.join(dir, '.gitignore'), 'generated/\n');
    await mkdir(path.join(dir, 'generated'));
    await writeFile(path.join(dir, 'generated', 'out.js'), 'export function built() {}\n');
    await writeFile(path.join(dir, 'src', '.codectxignore'), 'scratch.py\n');
    await writeFile(path.join(dir, 'src', 'scratch.py'), 'def scratch():\n    pass\n');
    await writeFile(path.join(dir, 'app.log'), 'GET / 200\n');
    // A link out of the codebase is never read (issue 13: /etc/passwd through a link).
    const outside = await mkdtemp(path.join(tmpdir(), 'codectx-chunk-outside-'));
    await writeFile(path.join(outside, 'secret.py'), 'TOKEN = "x"\n');
    await symlink(path.join(outside, 'secret.py'), path.join(dir, 'linked.py'));
    const cases: [string, RegExp][] = [
      ['src', /^codectx: \S*src is a folder; chunk takes one file/],
      ['image.png', /^codectx: \S*image\.png is a binary file; index skips it$/],
      ['latin1.txt', /^codectx: \S*latin1\.txt is not UTF-8 text; index skips it$/],
      ['.env', /^codectx: \S*\.env matches codectx's built-in ignore rules, the config's ignore list or an ignore file above the codebase; index skips it$/],
      ['id_rsa', /^codectx: \S*id_rsa matches codectx's built-in ignore rules/],
      ['linked.py', /^codectx: \S*linked\.py is outside the codebase \S+ \(outside-root\)/],
      ['generated/out.js', /^codectx: \S*out\.js is left out by a \.gitignore or \.codectxignore of the codebase, or is in codectx's own folder; index skips it$/],
      ['src/scratch.py', /^codectx: \S*scratch\.py is left out by a \.gitignore or \.codectxignore of the codebase, or is in codectx's own folder; index skips it$/],
      ['app.log', /^codectx: \S*app\.log is not a file type codectx indexes; index skips it$/],
    ];
    for (const [name, message] of cases) {
      const result = await runCli(['chunk', path.join(dir, name), '--path', dir], { home });
      expect(result.code, name).toBe(2);
      expect(result.stdout, name).toBe('');
      expect(result.stderr.trim().split('\n'), name).toHaveLength(1);
      expect(result.stderr.trim(), name).toMatch(message);
    }
  });

  it("refuses a file in codectx's own home when that lies inside the codebase, as index leaves it out", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'codectx-chunk-home-'));
    const inside = path.join(dir, 'tools', 'codectx-home');
    await mkdir(inside, { recursive: true });
    await writeFile(path.join(inside, 'hook.js'), 'export function logged() {}\n');
    await writeFile(path.join(dir, 'main.js'), 'export function main() {}\n');
    const refused = await runCli(['chunk', path.join(inside, 'hook.js'), '--path', dir], { home: inside });
    expect(refused.code).toBe(2);
    expect(refused.stderr.trim()).toMatch(/^codectx: \S*hook\.js is left out by .* or is in codectx's own folder; index skips it$/);
    const shown = await runCli(['chunk', path.join(dir, 'main.js'), '--path', dir], { home: inside });
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toContain('function main');
  });

  it('prints the chunks the index holds, with the configured budget and the model tokenizer', async () => {
    const { repo, home: indexHome } = await fixtureWorkspace();
    await writeFile(path.join(repo, 'codectx.config.json'), JSON.stringify({ chunkTokens: 48 }));
    const source = await readFile(path.join(PROJECT_ROOT, 'test/fixtures/languages/python.py'), 'utf8');
    await writeFile(path.join(repo, 'scripts/library.py'), source);
    const index = await runCli(['index', repo], { home: indexHome });
    expect(index.code, index.stderr).toBe(0);

    const shown = await runCli(['chunk', 'scripts/library.py', '--json'], { home: indexHome, cwd: repo });
    expect(shown.code, shown.stderr).toBe(0);
    const printed = (JSON.parse(shown.stdout) as { file: string; startLine: number; endLine: number }[]).map(
      (c) => `${c.file}:${c.startLine}-${c.endLine}`,
    );

    const status = JSON.parse((await runCli(['status', repo, '--json'], { home: indexHome })).stdout) as { indexDir: string; collection: string };
    const db = await lancedb.connect(path.join(status.indexDir, 'lancedb'));
    const table = await db.openTable(status.collection);
    const rows = await table.query().where("file = 'scripts/library.py'").select(['file', 'start_line', 'end_line']).toArray();
    const indexed = rows
      .map((row) => ({ file: String(row.file), start: Number(row.start_line), end: Number(row.end_line) }))
      .sort((a, b) => a.start - b.start || a.end - b.end)
      .map((c) => `${c.file}:${c.start}-${c.end}`);
    db.close();
    expect(indexed.length).toBeGreaterThan(10);
    expect(printed).toEqual(indexed);
  });
});
