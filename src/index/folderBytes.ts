import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Bytes the files under `dir` hold, at any depth (0 when there is no such folder): an index folder in
 * `list --indexes`, the embedding cache against its cap. A folder's entries are stat'ed together.
 */
export async function folderBytes(dir: string): Promise<number> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const sizes = await Promise.all(
    entries.map((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return folderBytes(path);
      return entry.isFile() ? stat(path).then((info) => info.size, () => 0) : 0;
    }),
  );
  return sizes.reduce((sum, size) => sum + size, 0);
}
