import { join } from 'node:path';
import { IndexStateError } from '../errors.js';
import type { SkipReason } from '../files/walk.js';
import { readJsonOr, writeJsonAtomic } from './atomicFile.js';

/** What codectx knows of an indexed file; written only after the file's chunks are in the store. */
export interface FileEntry {
  hash: string;
  size: number;
  mtimeMs: number;
  chunks: number;
  /**
   * Set when the file was skipped for its content (binary, not UTF-8, minified, unreadable): with its size and
   * mtime recorded it is not read again, nor shown as stale, until it changes.
   */
  skipped?: SkipReason;
}

/** Skips decided by a file's content, worth remembering; a link out of the root is decided by the walk each time. */
export function rememberedSkip(reason: SkipReason): boolean {
  return reason === 'binary' || reason === 'not-utf8' || reason === 'minified' || reason === 'unreadable';
}

/** Size and mtime as recorded: the file is taken as unchanged without reading it. */
export function unchangedSince(entry: FileEntry | undefined, file: { size: number; mtimeMs: number }): boolean {
  return entry !== undefined && entry.size === file.size && entry.mtimeMs === file.mtimeMs;
}

/**
 * The record of finished work: file → hash. Incremental indexing diffs the working tree against it
 * (size+mtime first, content hash only when those moved).
 */
export class Manifest {
  private constructor(
    private readonly path: string,
    readonly files: Map<string, FileEntry>,
  ) {}

  static async load(indexDir: string): Promise<Manifest> {
    const path = join(indexDir, 'manifest.json');
    let stored: { files?: Record<string, FileEntry> };
    try {
      stored = await readJsonOr(path, {});
    } catch {
      throw new IndexStateError(`the index manifest ${path} is damaged; run \`codectx index --force\` to rebuild`);
    }
    return new Manifest(path, new Map(Object.entries(stored.files ?? {})));
  }

  static empty(indexDir: string): Manifest {
    return new Manifest(join(indexDir, 'manifest.json'), new Map());
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

  async save(): Promise<void> {
    await writeJsonAtomic(this.path, { files: Object.fromEntries(this.files) });
  }
}
