import { link, readFile, rm, writeFile } from 'node:fs/promises';
import { IndexStateError } from '../errors.js';

/** True when a process with this pid exists (signal 0 checks without touching it). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * An exclusive lock file holding the owner's pid. It is written under a temporary name and linked into place,
 * so nobody ever reads it empty. A lock whose owner is gone (crash, kill -9) is stale and is taken over, so a
 * dead process never blocks indexing for good; one held by this very process is busy like any other.
 */
export async function acquireLock(path: string, what: string): Promise<() => Promise<void>> {
  const temp = `${path}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(temp, String(process.pid));
  try {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        await link(temp, path);
        return async () => {
          await rm(path, { force: true });
        };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const owner = Number((await readFile(path, 'utf8').catch(() => '')).trim());
        if (owner && processAlive(owner)) throw new IndexStateError(`${what} is busy: process ${owner} holds ${path}`);
        await rm(path, { force: true });
      }
    }
    throw new IndexStateError(`could not take the lock ${path}`);
  } finally {
    await rm(temp, { force: true });
  }
}
