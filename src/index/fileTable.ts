import type { SkipReason } from '../files/walk.js';

/** What codectx knows of an indexed file; written only after the file's chunks are in the store. */
export interface FileEntry {
  hash: string;
  size: number;
  mtimeMs: number;
  chunks: number;
  /**
   * The chunk ids in the store, kept in a shared index so a file's chunks are deleted by primary key (no scan);
   * while pending, the ids before and after. Absent: unknown (a local index, or an entry too long to hold them).
   * Only the shared state table holds them: the local manifest leaves them out.
   */
  ids?: string[];
  /**
   * Set in a shared index while a writer stores the file's chunks: a file left pending (a run stopped, or is still
   * going on another machine) is written again by the next run that sees it, so no store listing is needed.
   */
  pending?: true;
  /**
   * Set when the file was skipped for its content (binary, not UTF-8, minified, unreadable): with its size and
   * mtime recorded it is not read again, nor shown as stale, until it changes.
   */
  skipped?: SkipReason;
}

/**
 * The manifest's files by path, remembering which paths were set or deleted since the last save: a save then
 * writes only those (an append to the local log, rows of the shared table), not every file of the index.
 */
export class FileTable extends Map<string, FileEntry> {
  private changed = new Set<string>();

  /** Entries as loaded: not changes. */
  static of(entries: Iterable<[string, FileEntry]>): FileTable {
    const table = new FileTable();
    for (const [path, entry] of entries) Map.prototype.set.call(table, path, entry);
    return table;
  }

  override set(path: string, entry: FileEntry): this {
    this.changed.add(path);
    return super.set(path, entry);
  }

  override delete(path: string): boolean {
    const had = super.delete(path);
    if (had) this.changed.add(path);
    return had;
  }

  override clear(): void {
    for (const path of this.keys()) this.changed.add(path);
    super.clear();
  }

  /** Paths changed since the last call; `restore` gives them back when writing them failed. */
  takeChanged(): { paths: string[]; restore: () => void } {
    const paths = [...this.changed];
    this.changed = new Set();
    return { paths, restore: () => paths.forEach((path) => this.changed.add(path)) };
  }
}
