import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { codectxHome } from '../config/paths.js';
import { folderBytes } from './folderBytes.js';
import { readMetaIfSound } from './meta.js';

/** One index folder under the codectx home, and whether the folder it indexes is still there. */
export interface IndexListing {
  root: string;
  indexDir: string;
  store: string;
  files: number;
  chunks: number;
  bytes: number;
  folderExists: boolean;
}

/**
 * Every index kept here, by root: the registry lists only what the daemon watches, and an index of a folder
 * deleted or moved since would otherwise stay on disk unseen. Folders without sound metadata are left out.
 */
export async function listIndexes(): Promise<IndexListing[]> {
  const base = join(codectxHome(), 'indexes');
  const names = await readdir(base).catch(() => [] as string[]);
  const listings: IndexListing[] = [];
  for (const name of names.sort()) {
    const indexDir = join(base, name);
    const meta = await readMetaIfSound(indexDir).catch(() => undefined);
    if (!meta) continue;
    const { root, store, files, chunks } = meta;
    listings.push({ root, indexDir, store, files, chunks, bytes: await folderBytes(indexDir), folderExists: existsSync(root) });
  }
  return listings.sort((a, b) => (a.root < b.root ? -1 : a.root > b.root ? 1 : 0));
}
