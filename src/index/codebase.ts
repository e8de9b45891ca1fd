import { realpathSync, statSync } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { codectxHome, realCodectxHome } from '../config/paths.js';
import { isInside } from '../files/walk.js';
import { UsageError } from '../errors.js';
import { collectionNameFor } from '../store/collectionName.js';

/** A codebase as codectx addresses it: its real path, its collection name and its index folder. */
export interface Codebase {
  root: string;
  collection: string;
  indexDir: string;
}

/**
 * The codebase at `path`, which every command that picks a codebase root goes through (index, add, search's walk
 * up). The filesystem root and the home folder are refused: `codectx add /` had the daemon index and watch the
 * whole disk (watchers ran out, 1.8 GB), and its unfinished index then answered for every folder below.
 */
export async function resolveCodebase(path: string): Promise<Codebase> {
  const codebase = await resolveFolder(path);
  const refusal = notACodebase(codebase.root);
  if (refusal) throw new UsageError(refusal);
  return codebase;
}

/** Any existing folder as a codebase, refused or not: to drop an index made of one before they were refused. */
export async function resolveFolder(path: string): Promise<Codebase> {
  const absolute = resolve(path);
  const info = await stat(absolute).catch(() => undefined);
  if (!info) throw new UsageError(`no such directory: ${path}`);
  if (!info.isDirectory()) throw new UsageError(`not a directory: ${path}`);
  return codebaseAt(await realpath(absolute));
}

/**
 * The codebase of a folder deleted or moved since it was indexed, when its index is still here; undefined for a
 * path that exists or that no index names. Lets `clear` drop an index nothing else would reach.
 */
export async function goneFolderWithIndex(path: string): Promise<Codebase | undefined> {
  const absolute = resolve(path);
  if (await stat(absolute).catch(() => undefined)) return undefined;
  // Roots are recorded as real paths: resolve the part of the path that still exists.
  const parent = await realpath(dirname(absolute)).catch(() => dirname(absolute));
  const codebase = codebaseAt(join(parent, basename(absolute)));
  return (await stat(codebase.indexDir).catch(() => undefined)) ? codebase : undefined;
}

/**
 * The codebase `clear` drops: the folder's, or that of a folder deleted or moved since it was indexed. Any folder:
 * an index of `/` or a home folder, made before they were refused, can still be dropped.
 */
export async function folderToClear(path: string): Promise<Codebase> {
  return resolveFolder(path).catch(async (error: unknown) => {
    const gone = await goneFolderWithIndex(path);
    if (!gone) throw error;
    return gone;
  });
}

/** The codebase whose root is the real path `root` (which may no longer exist). */
export function codebaseAt(root: string): Codebase {
  const collection = collectionNameFor(root);
  return { root, collection, indexDir: join(codectxHome(), 'indexes', collection) };
}

/** Sticky and writable by everyone. */
const SHARED_TEMPORARY = 0o1002;

/** Why the folder at real path `root` can never be a codebase, or undefined. */
export function notACodebase(root: string): string | undefined {
  if (dirname(root) === root) return `${root} is the filesystem root, not a codebase; index a project folder`;
  if (root === realHome()) return `${root} is your home folder, not a codebase; index a project inside it`;
  // The daemon re-indexed its own home on every write it made there, three times a second without end.
  if (isInside(realCodectxHome(), root)) return `${root} is codectx's own home (its indexes and logs), not a codebase`;
  // /tmp, /var/tmp, /dev/shm: world-writable with the sticky bit, they hold other users' files (and the daemon
  // would walk and watch all of them); a project folder inside one is fine.
  if (((statSync(root, { throwIfNoEntry: false })?.mode ?? 0) & SHARED_TEMPORARY) === SHARED_TEMPORARY) {
    return `${root} is a shared temporary folder, not a codebase; index a project folder inside it`;
  }
  return undefined;
}

function realHome(): string {
  try {
    return realpathSync(homedir());
  } catch {
    return homedir();
  }
}
