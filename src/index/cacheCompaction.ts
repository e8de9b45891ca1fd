import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { IndexStateError } from '../errors.js';
import { KEY_BYTES, Segment, TEMP_PREFIX, isBase, segmentBytes, segmentName, stampOf, writeSegment } from './cacheSegment.js';
import { acquireLock, processAlive } from './lock.js';

export interface Compaction {
  /** Fold everything, bases included, keeping the most recently written entries up to `targetBytes`. */
  major: boolean;
  targetBytes: number;
}

/**
 * Segments under this size that are not bases are folded together when there are many. Larger ones are left
 * alone until the cap is reached: folding everything each time would rewrite the whole cache every few runs.
 */
const SMALL_SEGMENT_BYTES = 16 << 20;

/** The small segments in `dir` (each index run writes one or a few), oldest first. */
export async function smallSegments(dir: string, names?: string[]): Promise<string[]> {
  const candidates = (names ?? (await readdir(dir))).filter((name) => name.endsWith('.seg') && !isBase(name)).sort();
  const sizes = await Promise.all(candidates.map((name) => stat(join(dir, name)).then((info) => info.size, () => Infinity)));
  return candidates.filter((_, i) => sizes[i]! < SMALL_SEGMENT_BYTES);
}

/**
 * Folds the cache's segments into one. Minor: the small segments (see smallSegments).
 * Major, when the cache is over its cap: all of them into a new base of the most recently written entries that
 * fit `targetBytes`, written oldest first; the rest is evicted. A vector's age is when it was last written, and a
 * hit on a base writes it again (see EmbeddingCache), so this is least-recently-used eviction.
 *
 * Runs under the cache's compaction lock; when another process holds it, that one is compacting and this returns
 * false. Inputs are removed only after the output is renamed into place, and a process that has an input open
 * keeps reading it (an unlinked file lives while it is open), so compaction never breaks an open reader; a segment
 * written meanwhile is not an input, so nothing written concurrently is lost.
 */
export async function compactCache(dir: string, dimension: number, compaction: Compaction): Promise<boolean> {
  let release: () => Promise<void>;
  try {
    release = await acquireLock(join(dir, 'compact.lock'), 'the embedding cache');
  } catch (error) {
    if (error instanceof IndexStateError) return false;
    throw error;
  }
  const inputs: Segment[] = [];
  try {
    const names = (await readdir(dir)).sort();
    await removeAbandonedTemps(dir, names);
    const chosen = compaction.major ? names.filter((name) => name.endsWith('.seg')) : await smallSegments(dir, names);
    for (const name of chosen) {
      const segment = await Segment.open(join(dir, name), dimension);
      // Segments appear only whole (renamed into place): one that does not read as one was damaged.
      if (segment) inputs.push(segment);
      else await rm(join(dir, name), { force: true });
    }
    if (inputs.length === 0 || (inputs.length === 1 && !compaction.major)) return false;
    const kept = newestEntries(inputs, compaction.major ? compaction.targetBytes : Infinity);
    const keys = Buffer.alloc(kept.length * KEY_BYTES);
    kept.forEach(({ segment, index }, i) => segment.keys.copy(keys, i * KEY_BYTES, index * KEY_BYTES, (index + 1) * KEY_BYTES));
    const stamp = Math.max(...inputs.map((segment) => stampOf(segment.name)));
    const output = segmentName(stamp, compaction.major ? 'base.seg' : 'seg');
    await writeSegment(join(dir, output), dimension, keys, vectorsOf(kept));
    for (const segment of inputs) await rm(join(dir, segment.name), { force: true });
    return true;
  } finally {
    for (const segment of inputs) await segment.close();
    await release();
  }
}

interface Entry {
  segment: Segment;
  index: number;
}

/** Each key once, at its newest copy, newest first until `maxBytes`; returned oldest first. */
function newestEntries(segments: Segment[], maxBytes: number): Entry[] {
  const entryBytes = segmentBytes(1, segments[0]!.dimension) - segmentBytes(0, segments[0]!.dimension);
  const seen = new Set<string>();
  const kept: Entry[] = [];
  let bytes = segmentBytes(0, segments[0]!.dimension);
  for (let s = segments.length - 1; s >= 0; s--) {
    const segment = segments[s]!;
    for (let index = segment.count - 1; index >= 0; index--) {
      const key = segment.key(index);
      if (seen.has(key)) continue;
      if (bytes + entryBytes > maxBytes) return kept.reverse();
      seen.add(key);
      kept.push({ segment, index });
      bytes += entryBytes;
    }
  }
  return kept.reverse();
}

async function* vectorsOf(entries: Entry[]): AsyncGenerator<Uint8Array> {
  const BATCH = 1024;
  for (let i = 0; i < entries.length; i += BATCH) {
    const vectors = await Promise.all(entries.slice(i, i + BATCH).map(({ segment, index }) => segment.vector(index)));
    yield Buffer.concat(vectors.map((vector) => new Uint8Array(vector.buffer, vector.byteOffset, vector.byteLength)));
  }
}

/** Temporary files of writers that died before renaming them into place. */
async function removeAbandonedTemps(dir: string, names: string[]): Promise<void> {
  for (const name of names.filter((name) => name.startsWith(TEMP_PREFIX))) {
    const pid = Number(name.slice(TEMP_PREFIX.length).split('-')[0]);
    if (!processAlive(pid)) await rm(join(dir, name), { force: true });
  }
}
