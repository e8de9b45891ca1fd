import type { ChunkStore } from '../store/types.js';
import type { FileEntry, Manifest } from './manifest.js';

/** The chunk ids the manifest records for files, by file (none for a file known to have none); else undefined. */
export function idsOf(manifest: Manifest, paths: string[]): Map<string, string[] | undefined> {
  const idsOfEntry = (entry: FileEntry | undefined) => entry?.ids ?? (entry && entry.chunks === 0 && !entry.pending ? [] : undefined);
  return new Map(paths.map((path) => [path, idsOfEntry(manifest.files.get(path))]));
}

/** Deletes files' chunks: by the ids a shared manifest recorded (primary keys, no scan), else by file name. */
export async function deleteChunks(store: ChunkStore, known: Map<string, string[] | undefined>, paths: string[]): Promise<void> {
  const ids = paths.flatMap((path) => known.get(path) ?? []);
  const byName = paths.filter((path) => !known.get(path));
  if (ids.length > 0) await store.deleteChunks(ids);
  if (byName.length > 0) await store.deleteFiles(byName);
}

/**
 * Adds to `known` the ids another writer recorded for these files since the manifest read them (see
 * Manifest.recordedElsewhere), and returns those ids by file. A file deleted by name already covers them.
 */
export async function addRecordedElsewhere(manifest: Manifest, known: Map<string, string[] | undefined>, paths: string[]): Promise<Map<string, string[]>> {
  const elsewhere = await manifest.recordedElsewhere(paths);
  for (const [path, ids] of elsewhere) {
    const before = known.get(path);
    if (before || !known.has(path)) known.set(path, [...(before ?? []), ...ids]);
  }
  return elsewhere;
}

/** Deletes files' chunks by what the manifest records of them now, and by what another writer recorded since. */
export async function deleteChunksOf(store: ChunkStore, manifest: Manifest, paths: string[]): Promise<void> {
  const known = idsOf(manifest, paths);
  await addRecordedElsewhere(manifest, known, paths);
  await deleteChunks(store, known, paths);
}
