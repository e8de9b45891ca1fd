import { open, readFile, rm } from 'node:fs/promises';
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
 * An exclusive lock file holding the owner's pid. A lock whose owner is gone (crash, kill -9) is stale and is
 * taken over, so a dead process never blocks indexing for good.
 */
export async function acquireLock(path: string, what: string): Promise<() => Promise<void>> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(path, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      return async () => {
        await rm(path, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number((await readFile(path, 'utf8').catch(() => '')).trim());
      if (owner && owner !== process.pid && processAlive(owner)) {
        throw new IndexStateError(`${what} is busy: process ${owner} holds ${path}`);
      }
      await rm(path, { force: true });
    }
  }
  throw new IndexStateError(`could not take the lock ${path}`);
}
