import { existsSync } from 'node:fs';
import { appendFile, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fc, test as property } from '@fast-check/vitest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IndexStateError } from '../src/errors.js';
import { Manifest, type FileEntry } from '../src/index/manifest.js';

/** The local manifest as a base snapshot plus an append-only log, on real files. */
describe('local manifest log', () => {
  let dir: string;
  const base = () => join(dir, 'index', 'manifest.json');
  const log = () => join(dir, 'index', 'manifest.log');
  const indexDir = () => join(dir, 'index');
  const entry = (n: number, hash = `h${n}`): FileEntry => ({ hash, size: n, mtimeMs: 1_000 + n, chunks: n % 7 });
  const contents = async () => Object.fromEntries((await Manifest.load(indexDir())).files);

  /** Sets `count` files starting at `from`, then saves: one group of the indexer. */
  const group = async (manifest: Manifest, from: number, count: number) => {
    for (let n = from; n < from + count; n++) manifest.files.set(`src/file${n}.ts`, entry(n));
    await manifest.save();
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'codectx-manifest-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('appends each save to the log and leaves the base untouched', async () => {
    const manifest = await Manifest.load(indexDir());
    await group(manifest, 0, 1_000);
    const before = await stat(base());
    let logSize = (await stat(log())).size;
    for (let g = 1; g <= 20; g++) {
      await group(manifest, g * 1_000, 10);
      manifest.files.delete(`src/file${g}.ts`);
      await manifest.save();
      const grown = (await stat(log())).size;
      expect(grown).toBeGreaterThan(logSize);
      // About ten lines of ~70 bytes: the group, not the manifest.
      expect(grown - logSize).toBeLessThan(2_000);
      logSize = grown;
    }
    const after = await stat(base());
    expect([after.ino, after.size, after.mtimeMs]).toEqual([before.ino, before.size, before.mtimeMs]);
    expect(Object.keys(await contents())).toHaveLength(1_000 + 20 * 10 - 20);
    expect((await contents())['src/file1.ts']).toBeUndefined();
    expect((await contents())['src/file20005.ts']).toEqual(entry(20_005));
  });

  it('saves nothing when nothing changed', async () => {
    const manifest = await Manifest.load(indexDir());
    await group(manifest, 0, 10);
    const size = (await stat(log())).size;
    await manifest.save();
    expect((await stat(log())).size).toBe(size);
  });

  it('ignores a last line torn by a crash, and appends after it cleanly', async () => {
    const manifest = await Manifest.load(indexDir());
    await group(manifest, 0, 5);
    await group(manifest, 5, 5);
    const saved = await contents();
    await appendFile(log(), '["src/file99.ts",{"hash":"h99","si');
    expect(await contents()).toEqual(saved);

    const next = await Manifest.load(indexDir());
    await group(next, 10, 2);
    await group(next, 12, 2);
    expect(await contents()).toEqual({ ...saved, 'src/file10.ts': entry(10), 'src/file11.ts': entry(11), 'src/file12.ts': entry(12), 'src/file13.ts': entry(13) });
  });

  it('refuses a log damaged before its end with one clear error', async () => {
    const manifest = await Manifest.load(indexDir());
    await group(manifest, 0, 3);
    await group(manifest, 3, 3);
    const lines = (await readFile(log(), 'utf8')).split('\n');
    lines[2] = '["src/file1.ts",{"hash":';
    await writeFile(log(), lines.join('\n'));
    const error = await Manifest.load(indexDir()).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(IndexStateError);
    expect((error as Error).message).toMatch(/manifest\.log is damaged at line 3; run `codectx index --force`/);
  });

  it('folds the log into a new base once it outgrows it, keeping the content', async () => {
    const manifest = await Manifest.load(indexDir());
    await group(manifest, 0, 100);
    const first = await stat(base());
    const model = Object.fromEntries(manifest.files);
    // Groups of 1,000 files (~70 KB of log each) until the log passes 1 MiB and the base is rewritten.
    let g = 1;
    while ((await stat(base())).ino === first.ino) {
      await group(manifest, g * 1_000, 1_000);
      for (let n = g * 1_000; n < g * 1_000 + 1_000; n++) model[`src/file${n}.ts`] = entry(n);
      g++;
      expect(g).toBeLessThan(40);
    }
    expect((await stat(log())).size).toBeLessThan(100);
    expect(await contents()).toEqual(model);
    const stored = JSON.parse(await readFile(base(), 'utf8')) as { files: Record<string, FileEntry> };
    expect(stored.files).toEqual(model);
  });

  it('loads a manifest written before the log, and moves it to the log format on the first save', async () => {
    const old = { files: { 'a.ts': entry(1), 'b.py': entry(2, 'hb') } };
    await Manifest.reset(indexDir());
    await rm(log());
    await writeFile(base(), JSON.stringify(old));
    const manifest = await Manifest.load(indexDir());
    expect(Object.fromEntries(manifest.files)).toEqual(old.files);
    manifest.files.set('c.go', entry(3));
    await manifest.save();
    expect(await contents()).toEqual({ ...old.files, 'c.go': entry(3) });
    const stored = JSON.parse(await readFile(base(), 'utf8')) as { format: number; files: Record<string, FileEntry> };
    expect(stored.format).toBe(2);
    expect(stored.files).toEqual({ ...old.files, 'c.go': entry(3) });
  });

  it('forgets everything on reset, the log included', async () => {
    const manifest = await Manifest.load(indexDir());
    await group(manifest, 0, 3);
    await group(manifest, 3, 3);
    await Manifest.reset(indexDir());
    expect(await contents()).toEqual({});
  });

  it('does not replay a log left behind by a crash between a new base and its new log', async () => {
    const manifest = await Manifest.load(indexDir());
    await group(manifest, 0, 3);
    await group(manifest, 3, 3);
    const oldLog = await readFile(log());
    await Manifest.reset(indexDir());
    await writeFile(log(), oldLog);
    expect(await contents()).toEqual({});

    const next = await Manifest.load(indexDir());
    await group(next, 10, 1);
    expect(await contents()).toEqual({ 'src/file10.ts': entry(10) });
  });

  it('keeps its files private', async () => {
    const manifest = await Manifest.load(indexDir());
    await group(manifest, 0, 3);
    await group(manifest, 3, 3);
    expect((await stat(indexDir())).mode & 0o777).toBe(0o700);
    expect((await stat(base())).mode & 0o777).toBe(0o600);
    expect((await stat(log())).mode & 0o777).toBe(0o600);
  });

  // Any sequence of batches of sets and deletes, saved after each, with reloads and torn appends (a crash mid-write)
  // in between, reloads to the model. Some hashes are long, so the log outgrows 1 MiB and folds within a run.
  const op = fc.oneof(
    fc.record({ path: fc.integer({ min: 0, max: 40 }), hash: fc.oneof({ arbitrary: fc.string({ maxLength: 12 }), weight: 12 }, { arbitrary: fc.constant('x'.repeat(400_000)), weight: 1 }) }),
    fc.record({ path: fc.integer({ min: 0, max: 40 }) }),
  );
  const batch = fc.record({ ops: fc.array(op, { maxLength: 12 }), then: fc.constantFrom('save', 'reload', 'torn') });
  property.prop([fc.array(batch, { maxLength: 12 })], { numRuns: 60 })('reloads to what was saved', async (batches) => {
    await rm(indexDir(), { recursive: true, force: true });
    const model = new Map<string, FileEntry>();
    let manifest = await Manifest.load(indexDir());
    for (const { ops, then } of batches) {
      for (const change of ops) {
        const path = `p${change.path}.ts`;
        if ('hash' in change) {
          const value = { hash: change.hash, size: change.path, mtimeMs: change.path, chunks: 1 };
          manifest.files.set(path, value);
          model.set(path, value);
        } else {
          manifest.files.delete(path);
          model.delete(path);
        }
      }
      await manifest.save();
      if (then === 'torn' && existsSync(log())) await appendFile(log(), '["p1.ts",{"hash":"torn"');
      if (then !== 'save') manifest = await Manifest.load(indexDir());
    }
    expect(Object.fromEntries((await Manifest.load(indexDir())).files)).toEqual(Object.fromEntries(model));
  });
});
