import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { acquireLock } from '../../src/index/lock.js';

/**
 * Runs `work` while the one index under `home` looks as a build from nothing looks while it runs (its metadata
 * says so, with `files` indexed so far, and the run's lock is held), then puts the index back as it was.
 */
export async function whileBuildingFromNothing<T>(home: string, files: number, work: () => Promise<T>): Promise<T> {
  const [name] = await readdir(join(home, 'indexes'));
  const indexDir = join(home, 'indexes', name!);
  const metaFile = join(indexDir, 'meta.json');
  const meta = await readFile(metaFile, 'utf8');
  await writeFile(metaFile, JSON.stringify({ ...JSON.parse(meta), complete: false, fromScratch: true, files }));
  const release = await acquireLock(join(indexDir, 'index.lock'), 'the index');
  try {
    return await work();
  } finally {
    await release();
    await writeFile(metaFile, meta);
  }
}
