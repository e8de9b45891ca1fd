import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { compactCache, smallSegments } from './cacheCompaction.js';
import { folderBytes } from './folderBytes.js';
import { KEY_BYTES, Segment, isBase, nextStamp, segmentName, writeSegment } from './cacheSegment.js';
import { makePrivateDir } from '../config/paths.js';
import { CodectxError, describeError } from '../errors.js';

/** The cache's size cap when none is given: about 690k vectors of the local model (1,552 bytes each). */
export const DEFAULT_CACHE_BYTES = 1 << 30;
/** Over the cap, eviction goes down to this share of it, so the next runs do not evict again at once. */
const EVICT_TO = 0.8;
/** New vectors are written out in segments of about this size (and at the end of each index run)... */
const FLUSH_BYTES = 4 << 20;
/**
 * ...or once the oldest has waited this long: a run killed hard (kill -9, power loss) loses seconds of embedding,
 * not 4 MiB of it (about 2,700 local-model vectors, over a minute). Measured cost: a 3,676-chunk local-model run
 * of ~200 s writes ~40 segments and folds twice, ~1 s in all (0.5%); its timed index moved within noise (202 → 176 s).
 */
const FLUSH_AFTER_MS = 5_000;
/** More small segments than this are folded into one (see smallSegments). */
const MAX_SMALL_SEGMENTS = 16;
/** Keys → locations pack the segment's number above this many entries (2^32). */
const SEGMENT_SPAN = 2 ** 32;

/**
 * Vectors by the hash of the text embedded, on disk, shared by every codebase indexed with the same model: a
 * renamed file, a branch switched back and forth, a second clone or a git worktree cost no new embeddings.
 *
 * Several processes (the daemon, a CLI `index`, MCP servers) use it at once, so its files are never changed in
 * place: each process writes new vectors as whole segment files (written aside, renamed into place, so there is no
 * torn record to truncate and no appender can interleave with another), and compaction folds segments into new
 * files under a lock, removing inputs only once the output is in place (see compactCache). A reader holds its
 * segments open, so a file compacted away stays readable to it; when a key is missing, the reader lists the folder
 * again and picks up what other processes wrote since. Only keys live in memory (about 80 bytes an entry); vectors
 * are read when needed. Chosen over one shared append-only file: concurrent appends need every writer to learn
 * where its records landed and to survive another's torn record, and eviction would rewrite a file others append
 * to; over a LanceDB table: every hit would be a query, and recency updates a rewrite.
 */
export class EmbeddingCache {
  private readonly segments = new Map<number, Segment>();
  private readonly byName = new Map<string, number>();
  /** Key → segment number * SEGMENT_SPAN + index in that segment. */
  private readonly located = new Map<string, number>();
  /** Vectors not written out yet: new ones, and hits on a base (written again so they count as recent). */
  private readonly pending = new Map<string, Float32Array>();
  /** When the oldest pending vector was added (Date.now()). */
  private pendingSince = 0;
  private nextSegment = 0;
  private scanning?: Promise<void>;
  private flushing: Promise<void> = Promise.resolve();

  private constructor(
    readonly dir: string,
    private readonly dimension: number,
    private readonly maxBytes: number,
  ) {}

  /** The cache in `dir`; nothing is read until the first lookup. */
  static async open(dir: string, dimension: number, maxBytes = DEFAULT_CACHE_BYTES): Promise<EmbeddingCache> {
    makePrivateDir(dir);
    return new EmbeddingCache(dir, dimension, maxBytes);
  }

  /** The cached vector for each content hash, undefined where there is none. */
  async getMany(contentHashes: string[]): Promise<(Float32Array | undefined)[]> {
    const keys = contentHashes.map(toKey);
    if (keys.some((key) => !this.pending.has(key) && !this.located.has(key))) await this.scan();
    const vectors: (Float32Array | undefined)[] = [];
    for (const key of keys) vectors.push(this.pending.get(key) ?? (await this.read(key)));
    return vectors;
  }

  async putMany(items: { contentHash: string; vector: Float32Array }[]): Promise<void> {
    for (const { contentHash, vector } of items) {
      const key = toKey(contentHash);
      if (!this.located.has(key)) this.hold(key, vector);
    }
    const due = this.pending.size * this.dimension * 4 >= FLUSH_BYTES || Date.now() - this.pendingSince >= FLUSH_AFTER_MS;
    if (due && this.pending.size > 0) await this.flush();
  }

  /** Writes pending vectors out as a segment, where other processes find them, and folds segments if due. */
  flush(): Promise<void> {
    // One at a time; a failed flush (disk full) leaves its vectors pending for the next, not a rejected chain.
    this.flushing = this.flushing.catch(() => undefined).then(() => this.writePending());
    return this.flushing;
  }

  async close(): Promise<void> {
    await this.flush();
    for (const segment of this.segments.values()) await segment.close();
    this.segments.clear();
    this.byName.clear();
    this.located.clear();
  }

  private async read(key: string): Promise<Float32Array | undefined> {
    const at = this.located.get(key);
    if (at === undefined) return undefined;
    const number = Math.floor(at / SEGMENT_SPAN);
    const segment = this.segments.get(number);
    if (!segment) return undefined;
    // A segment dropped (and closed) by a concurrent scan since the lookup: a miss, the vector is embedded again.
    const vector = await segment.vector(at % SEGMENT_SPAN).catch(() => undefined);
    if (vector && isBase(segment.name)) this.hold(key, vector);
    return vector;
  }

  private hold(key: string, vector: Float32Array): void {
    if (this.pending.size === 0) this.pendingSince = Date.now();
    this.pending.set(key, vector);
  }

  private async writePending(): Promise<void> {
    const entries = [...this.pending];
    if (entries.length === 0) return;
    const keys = Buffer.alloc(entries.length * KEY_BYTES);
    entries.forEach(([key], i) => keys.write(key, i * KEY_BYTES, 'hex'));
    const vectors = entries.map(([, vector]) => new Uint8Array(vector.buffer, vector.byteOffset, vector.byteLength));
    const name = segmentName(nextStamp(), 'seg');
    await writeSegment(join(this.dir, name), this.dimension, keys, vectors).catch((error: unknown) => {
      // A full disk, seen once the store's writes had got in: an index run ended in "unexpected error: ENOSPC".
      throw new CodectxError(`cannot write the embedding cache ${this.dir}: ${describeError(error)}`, 1, { cause: error });
    });
    await this.add(name);
    for (const [key, vector] of entries) if (this.pending.get(key) === vector) this.pending.delete(key);
    this.pendingSince = Date.now();
    await this.compactIfDue();
  }

  /** Lists the folder and follows it: opens segments written since, drops those compacted away. */
  private scan(): Promise<void> {
    this.scanning ??= this.followFolder().finally(() => (this.scanning = undefined));
    return this.scanning;
  }

  private async followFolder(): Promise<void> {
    const names = (await readdir(this.dir)).filter((name) => name.endsWith('.seg')).sort();
    const listed = new Set(names);
    for (const name of names) if (!this.byName.has(name)) await this.add(name);
    for (const [name, number] of [...this.byName]) if (!listed.has(name)) await this.drop(name, number);
  }

  private async add(name: string): Promise<void> {
    const segment = await Segment.open(join(this.dir, name), this.dimension);
    if (!segment || this.byName.has(name)) return void (await segment?.close());
    const number = this.nextSegment++;
    this.segments.set(number, segment);
    this.byName.set(name, number);
    for (let index = 0; index < segment.count; index++) this.located.set(segment.key(index), number * SEGMENT_SPAN + index);
  }

  /** Forgets a segment gone from the folder; its keys were folded into a segment opened by the same scan, or evicted. */
  private async drop(name: string, number: number): Promise<void> {
    const segment = this.segments.get(number)!;
    for (let index = 0; index < segment.count; index++) {
      const key = segment.key(index);
      if (this.located.get(key) === number * SEGMENT_SPAN + index) this.located.delete(key);
    }
    this.segments.delete(number);
    this.byName.delete(name);
    await segment.close();
  }

  /** Folds segments when there are many small ones, and evicts when the folder is over the cap. */
  private async compactIfDue(): Promise<void> {
    const major = (await folderBytes(this.dir)) > this.maxBytes;
    if (!major && (await smallSegments(this.dir)).length <= MAX_SMALL_SEGMENTS) return;
    if (await compactCache(this.dir, this.dimension, { major, targetBytes: this.maxBytes * EVICT_TO })) await this.scan();
  }
}

function toKey(contentHash: string): string {
  return contentHash.slice(0, KEY_BYTES * 2);
}

/**
 * Where vectors of one model are cached, under codectx's home. The folder names the model and its dimension; an
 * OpenAI-compatible endpoint other than OpenAI's is part of the name too, since two servers may serve different
 * models under one name.
 */
export function embeddingCacheDir(home: string, embeddingId: string, dimension: number, baseURL?: string): string {
  const endpoint = baseURL ? `@${baseURL}` : '';
  return join(home, 'cache', 'embeddings', `${embeddingId}${endpoint}-${dimension}d`.replace(/[^a-zA-Z0-9._@-]+/g, '_'));
}
