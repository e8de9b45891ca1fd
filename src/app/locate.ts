import { dirname, resolve } from 'node:path';
import { resolveCodebase, type Codebase } from '../index/codebase.js';
import { readMeta } from '../index/meta.js';

/**
 * The codebase a command run in `path` is about: `path` itself or the nearest parent with an index, as git finds
 * its repository from a subfolder (`codectx search` in lib/ said "not indexed" and offered a second index).
 * Without an index anywhere above, `path` itself (commands that need one then say how to build it).
 */
export async function locateCodebase(path: string): Promise<Codebase> {
  const asGiven = await resolveCodebase(path);
  return (await indexedAbove(asGiven.root)) ?? asGiven;
}

/** `start` or its nearest parent that has an index; undefined when none has. */
export async function indexedAbove(start: string): Promise<Codebase | undefined> {
  let dir = resolve(start);
  for (;;) {
    const codebase = await resolveCodebase(dir).catch(() => undefined);
    if (codebase && (await readMeta(codebase.indexDir).catch(() => undefined))) return codebase;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}
