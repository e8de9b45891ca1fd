import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireLock } from '../src/index/lock.js';

describe('acquireLock', () => {
  it('holds the owner pid, refuses a second holder (even in the same process), and frees on release', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'codectx-lock-'));
    const path = join(dir, 'index.lock');
    const release = await acquireLock(path, 'the index');
    expect(await readFile(path, 'utf8')).toBe(String(process.pid));
    await expect(acquireLock(path, 'the index')).rejects.toThrow(/the index is busy: process \d+ holds/);
    await release();
    const again = await acquireLock(path, 'the index');
    await again();
    expect(await readdir(dir)).toEqual([]); // no temporary files left behind
  });

  it('takes over a lock whose owner is dead', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'codectx-lock-'));
    const path = join(dir, 'index.lock');
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    await writeFile(path, dead);
    const release = await acquireLock(path, 'the index');
    expect(await readFile(path, 'utf8')).toBe(String(process.pid));
    await release();
  });

  it('lets exactly one of many concurrent callers in', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'codectx-lock-'));
    const path = join(dir, 'index.lock');
    const outcomes = await Promise.allSettled(Array.from({ length: 8 }, () => acquireLock(path, 'the index')));
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
  });
});

describe('acquireLock on a stale lock', () => {
  it('lets exactly one of many concurrent callers take it over', async () => {
    // Callers interleave at every await, as separate processes would: each finds the same dead owner, and a
    // takeover that removed "the stale lock" without checking again would remove a live one just linked.
    const dir = await mkdtemp(join(tmpdir(), 'codectx-lock-'));
    const path = join(dir, 'index.lock');
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    for (let round = 0; round < 5; round++) {
      await writeFile(path, dead);
      const outcomes = await Promise.allSettled(Array.from({ length: 8 }, () => acquireLock(path, 'the index')));
      const held = outcomes.filter((outcome) => outcome.status === 'fulfilled');
      expect(held).toHaveLength(1);
      await (held[0] as PromiseFulfilledResult<() => Promise<void>>).value();
      expect(await readdir(dir)).toEqual([]);
    }
  });
});
