import type { SkipReason } from '../files/walk.js';
import type { StateTable } from '../store/types.js';
import { FileTable, type FileEntry } from './fileTable.js';
import { ManifestLog } from './manifestLog.js';

export type { FileEntry } from './fileTable.js';

/** Skips decided by a file's content, worth remembering; a link out of the root is decided by the walk each time. */
export function rememberedSkip(reason: SkipReason): boolean {
  return reason === 'binary' || reason === 'not-utf8' || reason === 'minified' || reason === 'unreadable';
}

/**
 * Size and mtime as recorded: the file is taken as unchanged without reading it. Not one skipped as unreadable:
 * a chmod that makes it readable moves neither, and it stayed out of the index for good.
 */
export function unchangedSince(entry: FileEntry | undefined, file: { size: number; mtimeMs: number }): boolean {
  return entry !== undefined && entry.skipped !== 'unreadable' && entry.size === file.size && entry.mtimeMs === file.mtimeMs;
}

// Milvus VarChar ceiling of a state row (65,535 bytes) with room to spare: ~1,700 chunk ids.
const MAX_BODY_BYTES = 60_000;

/**
 * A file entry as a shared index holds it: an mtime says nothing on another machine, so it stays local. Ids too
 * many for one row are left out: that file's chunks are then deleted by file name.
 */
function sharedBody(entry: FileEntry): string {
  const { hash, size, chunks, skipped, pending, ids } = entry;
  const body = { hash, size, chunks, ...(skipped ? { skipped } : {}), ...(pending ? { pending } : {}) };
  const withIds = ids ? JSON.stringify({ ...body, ids }) : undefined;
  return withIds && Buffer.byteLength(withIds) <= MAX_BODY_BYTES ? withIds : JSON.stringify(body);
}

/**
 * The record of finished work: file → hash. Incremental indexing diffs the working tree against it
 * (size+mtime first, content hash only when those moved). A shared index (Milvus) holds the entries in a state
 * table, which is authoritative; the local file then only lends its mtimes to entries whose hash and size it
 * agrees with, so files another writer changed are read again here, and nothing else is.
 */
export class Manifest {
  private constructor(
    private readonly local: ManifestLog,
    readonly files: FileTable,
    private readonly shared?: { table: StateTable; synced: Map<string, string> },
  ) {}

  static async load(indexDir: string, shared?: StateTable): Promise<Manifest> {
    const { entries: local, log } = await ManifestLog.load(indexDir);
    if (!shared) return new Manifest(log, FileTable.of(local));
    const synced = await shared.readFiles();
    const files = new Map<string, FileEntry>();
    for (const [file, body] of synced) {
      const entry = parseShared(body);
      if (!entry) continue;
      if (entry.pending) {
        // Matches no file's hash: the file is read, and its chunks replaced, whatever it holds.
        files.set(file, { ...entry, hash: '', mtimeMs: -1 });
        continue;
      }
      const mine = local.get(file);
      const agrees = mine !== undefined && mine.hash === entry.hash && mine.size === entry.size;
      files.set(file, { ...entry, mtimeMs: agrees ? mine.mtimeMs : -1 });
    }
    return new Manifest(log, FileTable.of(files), { table: shared, synced });
  }

  /** No file known, nothing on disk read: what `index --force --dry-run` plans against. */
  static empty(indexDir: string): Manifest {
    return new Manifest(ManifestLog.empty(indexDir), FileTable.of(new Map()));
  }

  /** Forgets every file (a forced rebuild starts from nothing). */
  static reset(indexDir: string): Promise<void> {
    return ManifestLog.reset(indexDir);
  }

  /** Files whose chunks are in the index (not those remembered as skipped). */
  get indexedFileCount(): number {
    let total = 0;
    for (const entry of this.files.values()) if (!entry.skipped) total++;
    return total;
  }

  get chunkCount(): number {
    let total = 0;
    for (const entry of this.files.values()) total += entry.chunks;
    return total;
  }

  /** A shared manifest records files as pending before their chunks are written; a local one has no need. */
  get writesAhead(): boolean {
    return this.shared !== undefined;
  }

  /** A shared manifest records each file's chunk ids (FileEntry.ids); a local one has no need. */
  get tracksChunkIds(): boolean {
    return this.shared !== undefined;
  }

  /**
   * Records files as pending in a shared manifest (see FileEntry.pending), with the ids of the chunks they have and
   * will have, so a run that stops half-way is undone by primary key; nothing locally.
   */
  async markPending(files: { path: string; hash: string; size: number; ids: string[] }[]): Promise<void> {
    if (!this.shared) return;
    for (const file of files) {
      const before = this.files.get(file.path);
      // Ids unknown before (an older entry) stay unknown: the file is then deleted by name.
      const ids = before && !before.ids && (before.chunks > 0 || before.pending) ? undefined : [...new Set([...(before?.ids ?? []), ...file.ids])];
      this.files.set(file.path, { hash: file.hash, size: file.size, mtimeMs: -1, chunks: 0, pending: true, ...(ids ? { ids } : {}) });
    }
    await this.save();
  }

  /**
   * The chunk ids another writer recorded as done for these files since this manifest read or wrote them (two
   * writers on one shared index at once, each on its own machine's lock). Their chunks are to be replaced along
   * with ours: the state names only one writer's ids per file, and the other's chunks outlived both runs for good.
   * Another writer's pending entry is left to it: it may still be storing, and it reads ours before it finishes.
   */
  async recordedElsewhere(paths: string[]): Promise<Map<string, string[]>> {
    const found = new Map<string, string[]>();
    if (!this.shared || paths.length === 0) return found;
    const { table, synced } = this.shared;
    for (const [path, body] of await table.readFilesAt(paths)) {
      if (body === synced.get(path)) continue;
      const entry = parseShared(body);
      if (entry?.ids && entry.ids.length > 0 && !entry.pending) found.set(path, entry.ids);
    }
    return found;
  }

  /** Writes what changed since the last save: locally an append to the log, in a shared index the changed rows. */
  async save(): Promise<void> {
    const { paths, restore } = this.files.takeChanged();
    try {
      await this.local.write(this.files, paths);
      if (this.shared) await this.saveShared(paths);
    } catch (error) {
      restore();
      throw error;
    }
  }

  /** A touched-but-unchanged file costs no write there: the shared body holds no mtime. */
  private async saveShared(paths: string[]): Promise<void> {
    const { table, synced } = this.shared!;
    const put: [string, string][] = [];
    const removed: string[] = [];
    for (const file of paths) {
      const entry = this.files.get(file);
      const body = entry && sharedBody(entry);
      if (body !== undefined && synced.get(file) !== body) put.push([file, body]);
      if (body === undefined && synced.has(file)) removed.push(file);
    }
    if (put.length === 0 && removed.length === 0) return;
    await table.writeFiles(put, removed);
    for (const [file, body] of put) synced.set(file, body);
    for (const file of removed) synced.delete(file);
  }
}

function parseShared(body: string): Omit<FileEntry, 'mtimeMs'> | undefined {
  try {
    const entry = JSON.parse(body) as Omit<FileEntry, 'mtimeMs'>;
    if (typeof entry.hash !== 'string' || typeof entry.size !== 'number' || typeof entry.chunks !== 'number') return undefined;
    if (entry.ids !== undefined && !(Array.isArray(entry.ids) && entry.ids.every((id) => typeof id === 'string'))) delete entry.ids;
    return entry;
  } catch {
    return undefined;
  }
}
