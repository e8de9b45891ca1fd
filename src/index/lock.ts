import { link, readFile, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { PRIVATE_FILE_MODE } from '../config/paths.js';
import { CodectxError, describeError, IndexStateError } from '../errors.js';

/** True when a process with this pid exists and runs (signal 0 checks without touching it). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  return !exited(pid);
}

/**
 * Whether the process has exited and only its entry is left (a zombie its parent has not reaped, or one being torn
 * down): signal 0 still reaches it. In a container whose first process never reaps, a daemon killed with -9 stayed
 * a zombie and its lock held every later `daemon start` off for good.
 */
function exited(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 3, the state, follows the command name in parentheses (which may hold spaces or ')').
    return /^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
  } catch {
    return false; // no /proc (not Linux), or gone since signal 0: the next check sees it
  }
}

/**
 * An exclusive lock file holding the owner's pid and, where /proc tells it, when that process started. It is
 * written under a temporary name and linked into place, so nobody ever reads it empty. A lock whose owner is gone
 * (crash, kill -9, reboot) is stale and is taken over, so a dead process never blocks indexing for good; one held
 * by this very process is busy like any other.
 */
export async function acquireLock(path: string, what: string): Promise<() => Promise<void>> {
  const temp = `${path}.${process.pid}.${Date.now()}.${Math.random().toString(36).slice(2)}.tmp`;
  const started = await startOf(process.pid);
  try {
    await writeFile(temp, started ? `${process.pid} ${started}` : String(process.pid), { mode: PRIVATE_FILE_MODE }).catch((error: unknown) => {
      // A full disk: "unexpected error: ENOSPC" without a path, and each run left its empty temporary file behind.
      throw new CodectxError(`cannot write the lock ${path}: ${describeError(error)}`, 1, { cause: error });
    });
    // Link; else take over a stale lock (a dead taker-over's guard may need clearing first) and link again.
    for (let attempt = 0; attempt < 3; attempt++) {
      if (await linked(temp, path)) {
        return async () => {
          await rm(path, { force: true });
        };
      }
      const owner = await ownerOf(path);
      const holds = await holding(owner);
      if (holds) {
        // Unchecked (an older version's lock, or no /proc): the pid may since have gone to another program.
        const hint = holds === 'pid only' ? `; if process ${owner.pid} is not codectx, delete that file` : '';
        throw new IndexStateError(`${what} is busy: process ${owner.pid} holds ${path}${hint}`);
      }
      await removeIfStill(path, owner, temp);
    }
    throw new IndexStateError(`${what} is busy: another process is taking over the stale lock ${path}; try again`);
  } finally {
    await rm(temp, { force: true });
  }
}

/**
 * The live process holding the lock at `path`; undefined when there is no lock or it is stale. `checked` is false
 * when only its pid could be checked, which may since have gone to another program: never signal that one.
 */
export async function lockHolder(path: string): Promise<{ pid: number; checked: boolean } | undefined> {
  const owner = await ownerOf(path);
  const holds = await holding(owner);
  return holds ? { pid: owner.pid, checked: holds === 'checked' } : undefined;
}

/** What a lock file says: its raw text, the owner's pid (0 when missing or unreadable), and its start if recorded. */
interface Owner {
  text: string;
  pid: number;
  started?: string;
}

/**
 * Whether the lock's owner still runs: 'checked' when the process under its pid is the one that wrote it (same
 * start), 'pid only' when only the pid could be checked; false when it is gone. After a crash, and above all after
 * a reboot, the pid may belong to an unrelated process: alive, but not the owner.
 */
async function holding(owner: Owner): Promise<'checked' | 'pid only' | false> {
  if (!owner.pid || !processAlive(owner.pid)) return false;
  if (!owner.started) return 'pid only';
  const started = await startOf(owner.pid);
  if (started === undefined) return 'pid only';
  return started === owner.started ? 'checked' : false;
}

/**
 * When a process started, as `<clock ticks since boot>@<boot id>` (/proc/<pid>/stat field 22 and the kernel's
 * boot id, so a process of a later boot never matches); undefined without /proc (not Linux) or for a pid it hides.
 */
async function startOf(pid: number): Promise<string | undefined> {
  try {
    const [stat, boot] = await Promise.all([readFile(`/proc/${pid}/stat`, 'utf8'), readFile('/proc/sys/kernel/random/boot_id', 'utf8')]);
    // Field 2, the command name, is in parentheses and may hold spaces or ')': count from the last ')' (field 3 on).
    const ticks = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
    return ticks && /^\d+$/.test(ticks) ? `${ticks}@${boot.trim()}` : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Removes the lock at `path` if it still is the stale one found. Takers-over that found the same stale lock take
 * turns under a guard file and look again: otherwise the second would remove the lock the first had just linked,
 * and both would hold it.
 */
async function removeIfStill(path: string, stale: Owner, temp: string): Promise<void> {
  const guard = `${path}.takeover`;
  if (!(await linked(temp, guard))) {
    if (await holding(await ownerOf(guard))) return; // another takeover is under way; the next link attempt says who won
    await rm(guard, { force: true }); // left by a taker-over that died mid-takeover
    return;
  }
  try {
    if ((await ownerOf(path)).text === stale.text) await rm(path, { force: true });
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

/** Reads a lock file: `<pid>` as older versions wrote it, or `<pid> <start>`. */
async function ownerOf(path: string): Promise<Owner> {
  const text = (await readFile(path, 'utf8').catch(() => '')).trim();
  const [pid, started] = text.split(/\s+/);
  return { text, pid: Number(pid) || 0, started };
}
