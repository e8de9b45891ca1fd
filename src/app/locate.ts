import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { projectConfigFile, type ConfigFlags } from '../config/config.js';
import { resolveCodebase, type Codebase } from '../index/codebase.js';
import { readMeta } from '../index/meta.js';

/** How walking up finds a shared (Milvus) index that has no trace on this machine. */
export interface SharedIndexProbe {
  /** Cheap (files only): whether a folder's settings point at a shared index, worth asking the server about. */
  pointsAtShared(dir: string): boolean;
  /** Asks the server whether the codebase has a shared index. */
  hasIndex(codebase: Codebase): Promise<boolean>;
}

/**
 * The codebase a command run in `path` is about: `path` itself or the nearest parent with an index, as git finds
 * its repository from a subfolder (`codectx search` in lib/ said "not indexed" and offered a second index).
 * Without an index anywhere above, `path` itself (commands that need one then say how to build it).
 */
export async function locateCodebase(path: string, shared?: SharedIndexProbe): Promise<Codebase> {
  const asGiven = await resolveCodebase(path);
  return (await indexedAbove(asGiven.root, shared)) ?? asGiven;
}

/** What `codectx index` indexes, and the indexed codebase around the folder it was run for. */
export interface IndexTarget {
  codebase: Codebase;
  /** An indexed codebase that holds the folder: indexed in its place (no path given), or left beside it (a path given). */
  enclosing?: Codebase;
}

/**
 * Without a path, the codebase search uses from the current folder (its own index, else the nearest above);
 * with one, that folder itself. Seen: `codectx index` run in doc/ of an indexed project made a second index
 * there, which search in doc/ then preferred while only the project's was kept fresh.
 */
export async function indexTarget(path: string | undefined, shared?: SharedIndexProbe): Promise<IndexTarget> {
  const asGiven = await resolveCodebase(path ?? '.');
  const nearest = await indexedAbove(asGiven.root, shared);
  const ownIndex = nearest?.root === asGiven.root;
  const parent = dirname(asGiven.root);
  const enclosing = ownIndex ? (parent === asGiven.root ? undefined : await indexedAbove(parent, shared)) : nearest;
  if (path === undefined && enclosing && !ownIndex) return { codebase: enclosing, enclosing };
  return { codebase: asGiven, enclosing };
}

/**
 * `start` or its nearest parent that has an index; undefined when none has. An index is found by its local
 * metadata, or, for a folder whose settings point at a shared index, on the server: a reader machine that never
 * indexed has no local trace.
 */
export async function indexedAbove(start: string, shared?: SharedIndexProbe): Promise<Codebase | undefined> {
  let dir = resolve(start);
  for (;;) {
    const codebase = await resolveCodebase(dir).catch(() => undefined);
    if (codebase && (await readMeta(codebase.indexDir).catch(() => undefined))) return codebase;
    if (codebase && shared?.pointsAtShared(codebase.root) && (await shared.hasIndex(codebase))) return codebase;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/**
 * Whether `dir`'s settings choose Milvus: its codectx.config.json, or flags or the environment. Those two hold in
 * every folder, so they count only for folders that look like a codebase's root (a config file or .git), which
 * keeps a walk from a deep subfolder to a server question or two.
 */
export function pointsAtMilvus(dir: string, flags: ConfigFlags, env: NodeJS.ProcessEnv = process.env): boolean {
  let file;
  try {
    file = projectConfigFile(dir);
  } catch {
    // A broken file is reported by commands run for that folder, not by a walk passing through it.
    return false;
  }
  if ((flags.store ?? (env.CODECTX_STORE || undefined) ?? file?.store) !== 'milvus') return false;
  return file !== undefined || existsSync(join(dir, '.git'));
}
