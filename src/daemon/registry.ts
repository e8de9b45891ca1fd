import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { readJsonOr, writeJsonAtomic } from '../index/atomicFile.js';
import { acquireLock } from '../index/lock.js';
import { ConfigError, IndexStateError } from '../errors.js';
import { Mutex } from './mutex.js';
import { registryPath } from './paths.js';
import { makePrivateDir } from '../config/paths.js';

/** One codebase the daemon serves. `root` is a real path (resolveCodebase's). */
export interface RegisteredCodebase {
  root: string;
  addedAt: string;
}

interface RegistryFile {
  codebases: RegisteredCodebase[];
}

export async function listCodebases(path = registryPath()): Promise<RegisteredCodebase[]> {
  let stored: RegistryFile;
  try {
    stored = await readJsonOr<RegistryFile>(path, { codebases: [] });
  } catch {
    throw new ConfigError(`the codebase registry ${path} is damaged; fix or delete it`);
  }
  return Array.isArray(stored.codebases) ? stored.codebases : [];
}

/** Adds a codebase; false when it was already there. */
export async function registerCodebase(root: string, path = registryPath()): Promise<boolean> {
  return updateRegistry(path, (codebases) => {
    if (codebases.some((entry) => entry.root === root)) return false;
    codebases.push({ root, addedAt: new Date().toISOString() });
    return true;
  });
}

/** Removes a codebase; false when it was not registered. */
export async function unregisterCodebase(root: string, path = registryPath()): Promise<boolean> {
  return updateRegistry(path, (codebases) => {
    const at = codebases.findIndex((entry) => entry.root === root);
    if (at < 0) return false;
    codebases.splice(at, 1);
    return true;
  });
}

// The lock file tells processes apart by pid, so callers within one process queue here first.
const inProcess = new Mutex();

/** Read-modify-write under a lock, so `index` registering and `add` at the same moment both land. */
function updateRegistry(path: string, change: (codebases: RegisteredCodebase[]) => boolean): Promise<boolean> {
  return inProcess.run(async () => {
    makePrivateDir(dirname(path));
    const release = await lockWithRetry(`${path}.lock`);
    try {
      const codebases = await listCodebases(path);
      const changed = change(codebases);
      if (changed) await writeJsonAtomic(path, { codebases } satisfies RegistryFile);
      return changed;
    } finally {
      await release();
    }
  });
}

async function lockWithRetry(lockPath: string): Promise<() => Promise<void>> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await acquireLock(lockPath, 'the codebase registry');
    } catch (error) {
      // Held only for a read and a rename: a few retries always suffice unless the holder hangs.
      if (!(error instanceof IndexStateError) || attempt >= 50) throw error;
      await sleep(20);
    }
  }
}
