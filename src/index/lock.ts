import { link, readFile, rm, writeFile } from 'node:fs/promises';
import { PRIVATE_FILE_MODE } from '../config/paths.js';
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
  const temp = `${path}.${process.pid}.${Date.now()}.${Math.random().toString(36).slice(2)}.tmp`;
  await writeFile(temp, String(process.pid), { mode: PRIVATE_FILE_MODE });
  try {
    // Link; else take over a stale lock (a dead taker-over's guard may need clearing first) and link again.
    for (let attempt = 0; attempt < 3; attempt++) {
      if (await linked(temp, path)) {
        return async () => {
          await rm(path, { force: true });
        };
      }
      const owner = await ownerOf(path);
      if (owner && processAlive(owner)) throw new IndexStateError(`${what} is busy: process ${owner} holds ${path}`);
      await removeIfStill(path, owner, temp);
    }
    throw new IndexStateError(`${what} is busy: another process is taking over the stale lock ${path}; try again`);
  } finally {
    await rm(temp, { force: true });
  }
}

/**
 * Removes the lock at `path` if its owner is still the dead `staleOwner`. Takers-over that found the same stale
 * lock take turns under a guard file and look again: otherwise the second would remove the lock the first had
 * just linked, and both would hold it.
 */
async function removeIfStill(path: string, staleOwner: number, temp: string): Promise<void> {
  const guard = `${path}.takeover`;
  if (!(await linked(temp, guard))) {
    const guardOwner = await ownerOf(guard);
    if (guardOwner && processAlive(guardOwner)) return; // another takeover is under way; the next link attempt says who won
    await rm(guard, { force: true }); // left by a taker-over that died mid-takeover
    return;
  }
  try {
    if ((await ownerOf(path)) === staleOwner) await rm(path, { force: true });
  } finally {
    await rm(guard, { force: true });
  }
}

/** Links `temp` at `path`; false when something is already there. */
async function linked(temp: string, path: string): Promise<boolean> {
  try {
    await link(temp, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

/** The pid in a lock file; 0 when it is missing or unreadable. */
async function ownerOf(path: string): Promise<number> {
  return Number((await readFile(path, 'utf8').catch(() => '')).trim()) || 0;
}
