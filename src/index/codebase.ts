import { realpath, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { codectxHome } from '../config/paths.js';
import { UsageError } from '../errors.js';
import { collectionNameFor } from '../store/collectionName.js';

/** A codebase as codectx addresses it: its real path, its collection name and its index folder. */
export interface Codebase {
  root: string;
  collection: string;
  indexDir: string;
}

export async function resolveCodebase(path: string): Promise<Codebase> {
  const absolute = resolve(path);
  const info = await stat(absolute).catch(() => undefined);
  if (!info) throw new UsageError(`no such directory: ${path}`);
  if (!info.isDirectory()) throw new UsageError(`not a directory: ${path}`);
  const root = await realpath(absolute);
  const collection = collectionNameFor(root);
  return { root, collection, indexDir: join(codectxHome(), 'indexes', collection) };
}
