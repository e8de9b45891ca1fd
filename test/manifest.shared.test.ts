import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Manifest } from '../src/index/manifest.js';
import type { StateTable } from '../src/store/types.js';

/** The state table's contract in memory (its Milvus implementation is tested in milvus.state.test.ts). */
function memoryTable(): StateTable & { rows: Map<string, string> } {
  const rows = new Map<string, string>();
  return {
    rows,
    readMeta: async () => undefined,
    writeMeta: async () => undefined,
    readFiles: async () => new Map(rows),
    readFilesAt: async (paths) => new Map(paths.flatMap((path) => (rows.has(path) ? [[path, rows.get(path)!]] : []))),
    writeFiles: async (put, removed) => {
      for (const [path, body] of put) rows.set(path, body);
      for (const path of removed) rows.delete(path);
    },
    clear: async () => rows.clear(),
    close: async () => undefined,
  };
}

const ids = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => `${prefix}${String(i).padStart(28, '0')}`);

describe('a shared manifest keeps each file\'s chunk ids', () => {
  let indexDir: string;

  beforeEach(async () => {
    indexDir = await mkdtemp(join(tmpdir(), 'codectx-manifest-'));
  });

  afterEach(() => rm(indexDir, { recursive: true, force: true }));

  it('in the shared table, not in the local file, and reads them back', async () => {
    const table = memoryTable();
    const manifest = await Manifest.load(indexDir, table);
    expect(manifest.tracksChunkIds).toBe(true);
    manifest.files.set('a.ts', { hash: 'h', size: 1, mtimeMs: 5, chunks: 2, ids: ids('a', 2) });
    await manifest.save();
    expect(JSON.parse(table.rows.get('a.ts')!).ids).toEqual(ids('a', 2));
    // The second save appends to the local log rather than rewriting manifest.json: no ids there either.
    manifest.files.set('b.ts', { hash: 'h', size: 1, mtimeMs: 5, chunks: 1, ids: ids('b', 1) });
    await manifest.save();
    expect(JSON.parse(table.rows.get('b.ts')!).ids).toEqual(ids('b', 1));
    expect(await readFile(join(indexDir, 'manifest.json'), 'utf8')).not.toContain('"ids"');
    expect(await readFile(join(indexDir, 'manifest.log'), 'utf8')).toContain('b.ts');
    expect(await readFile(join(indexDir, 'manifest.log'), 'utf8')).not.toContain('"ids"');
    expect((await Manifest.load(indexDir, table)).files.get('a.ts')).toEqual({ hash: 'h', size: 1, mtimeMs: 5, chunks: 2, ids: ids('a', 2) });
    expect((await Manifest.load(indexDir)).tracksChunkIds).toBe(false);
  });

  it('while pending, the ids before and after; unknown before stays unknown', async () => {
    const table = memoryTable();
    const manifest = await Manifest.load(indexDir, table);
    manifest.files.set('a.ts', { hash: 'h', size: 1, mtimeMs: 5, chunks: 2, ids: ids('a', 2) });
    manifest.files.set('old.ts', { hash: 'h', size: 1, mtimeMs: 5, chunks: 3 });
    await manifest.markPending([
      { path: 'a.ts', hash: 'h2', size: 2, ids: [ids('a', 2)[1]!, ...ids('b', 1)] },
      { path: 'old.ts', hash: 'h2', size: 2, ids: ids('c', 1) },
      { path: 'new.ts', hash: 'h2', size: 2, ids: ids('d', 1) },
    ]);
    expect(manifest.files.get('a.ts')).toMatchObject({ pending: true, ids: [...ids('a', 2), ...ids('b', 1)] });
    expect(manifest.files.get('old.ts')!.ids).toBeUndefined();
    expect(manifest.files.get('new.ts')!.ids).toEqual(ids('d', 1));
    const reloaded = await Manifest.load(indexDir, table);
    expect(reloaded.files.get('a.ts')).toMatchObject({ pending: true, ids: [...ids('a', 2), ...ids('b', 1)] });
  });

  it('leaves out ids too many for one state row (their file is then deleted by name)', async () => {
    const table = memoryTable();
    const manifest = await Manifest.load(indexDir, table);
    manifest.files.set('huge.ts', { hash: 'h', size: 1, mtimeMs: 5, chunks: 3_000, ids: ids('x', 3_000) });
    await manifest.save();
    const body = table.rows.get('huge.ts')!;
    expect(Buffer.byteLength(body)).toBeLessThan(65_535);
    expect(JSON.parse(body)).toEqual({ hash: 'h', size: 1, chunks: 3_000 });
    expect((await Manifest.load(indexDir, table)).files.get('huge.ts')!.ids).toBeUndefined();
  });

  it("names the ids another writer recorded as done since it read or wrote an entry: not its own, not one still pending", async () => {
    const table = memoryTable();
    const manifest = await Manifest.load(indexDir, table);
    manifest.files.set('mine.ts', { hash: 'h', size: 1, mtimeMs: 5, chunks: 1, ids: ids('m', 1) });
    manifest.files.set('taken.ts', { hash: 'h', size: 1, mtimeMs: 5, chunks: 1, ids: ids('t', 1) });
    await manifest.save();
    const other = await Manifest.load(join(indexDir, 'elsewhere'), table);
    other.files.set('taken.ts', { hash: 'h2', size: 2, mtimeMs: 7, chunks: 2, ids: ids('o', 2) });
    other.files.set('added.ts', { hash: 'h', size: 1, mtimeMs: 7, chunks: 1, ids: ids('n', 1) });
    await other.save();
    await other.markPending([{ path: 'busy.ts', hash: 'h', size: 1, ids: ids('p', 1) }]);
    expect(await manifest.recordedElsewhere(['mine.ts', 'taken.ts', 'added.ts', 'busy.ts', 'absent.ts'])).toEqual(
      new Map([
        ['taken.ts', ids('o', 2)],
        ['added.ts', ids('n', 1)],
      ]),
    );
    expect(await (await Manifest.load(indexDir)).recordedElsewhere(['taken.ts'])).toEqual(new Map());
  });
});
