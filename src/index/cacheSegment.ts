import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { PRIVATE_FILE_MODE } from '../config/paths.js';

/** Cache keys are the first 16 bytes of the SHA-256 of the text embedded. */
export const KEY_BYTES = 16;

const MAGIC = 0x45_58_54_43; // "CTXE"
const VERSION = 1;
const HEADER_BYTES = 16;

/**
 * One file of the embedding cache, never changed once written: a header (magic, version, dimension, count), the
 * keys, then the vectors in the same order. Keys come first so opening reads 16 bytes an entry, not the vectors.
 */
export class Segment {
  private constructor(
    readonly name: string,
    private readonly handle: FileHandle,
    /** All keys, KEY_BYTES each, in file order. */
    readonly keys: Buffer,
    readonly dimension: number,
  ) {}

  /** The segment at `path`; undefined when it is gone (compacted away since it was listed) or not a segment. */
  static async open(path: string, dimension: number): Promise<Segment | undefined> {
    const handle = await open(path, 'r').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    if (!handle) return undefined;
    try {
      const header = Buffer.alloc(HEADER_BYTES);
      await handle.read(header, 0, HEADER_BYTES, 0);
      const count = header.readUInt32LE(12);
      const { size } = await handle.stat();
      const valid =
        header.readUInt32LE(0) === MAGIC &&
        header.readUInt32LE(4) === VERSION &&
        header.readUInt32LE(8) === dimension &&
        size === segmentBytes(count, dimension);
      if (!valid) {
        await handle.close();
        return undefined;
      }
      const keys = Buffer.alloc(count * KEY_BYTES);
      if (count > 0) await handle.read(keys, 0, keys.length, HEADER_BYTES);
      return new Segment(basename(path), handle, keys, dimension);
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  get count(): number {
    return this.keys.length / KEY_BYTES;
  }

  get bytes(): number {
    return segmentBytes(this.count, this.dimension);
  }

  key(index: number): string {
    return this.keys.toString('hex', index * KEY_BYTES, (index + 1) * KEY_BYTES);
  }

  async vector(index: number): Promise<Float32Array> {
    const bytes = Buffer.alloc(this.dimension * 4);
    await this.handle.read(bytes, 0, bytes.length, HEADER_BYTES + this.keys.length + index * bytes.length);
    return new Float32Array(bytes.buffer, bytes.byteOffset, this.dimension);
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}

export function segmentBytes(count: number, dimension: number): number {
  return HEADER_BYTES + count * (KEY_BYTES + dimension * 4);
}

/**
 * Writes a segment under a temporary name and renames it into place, so nobody ever sees part of one: a crash
 * leaves at most a temporary file (removed by the next compaction once its writer is gone), never a torn record.
 * `vectors` yields the vectors' bytes in the order of `keys`.
 */
export async function writeSegment(
  path: string,
  dimension: number,
  keys: Buffer,
  vectors: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
): Promise<void> {
  const temp = join(dirname(path), `${TEMP_PREFIX}${process.pid}-${Math.random().toString(36).slice(2)}`);
  const handle = await open(temp, 'w', PRIVATE_FILE_MODE);
  try {
    const header = Buffer.alloc(HEADER_BYTES);
    header.writeUInt32LE(MAGIC, 0);
    header.writeUInt32LE(VERSION, 4);
    header.writeUInt32LE(dimension, 8);
    header.writeUInt32LE(keys.length / KEY_BYTES, 12);
    await writeAll(handle, header);
    await writeAll(handle, keys);
    for await (const bytes of vectors) await writeAll(handle, bytes);
    await handle.close();
    await rename(temp, path);
  } catch (error) {
    await handle.close().catch(() => undefined);
    await rm(temp, { force: true });
    throw error;
  }
}

/** A write may take only part of a large buffer; the rest follows. */
async function writeAll(handle: FileHandle, bytes: Uint8Array): Promise<void> {
  for (let done = 0; done < bytes.length; ) done += (await handle.write(bytes, done, bytes.length - done)).bytesWritten;
}

/** Temporary files are named `tmp-<pid>-<random>`: the pid says whether their writer may still finish them. */
export const TEMP_PREFIX = 'tmp-';

/** Segment names start with a millisecond stamp, so sorting names sorts segments oldest first. */
/**
 * A stamp for a new segment: now, but after every stamp this process gave before. Names sort by stamp and recency
 * decides what eviction keeps; two flushes in one millisecond (an idle, fast machine) sorted by their random
 * suffix, and an older segment could outlive a newer one.
 */
export function nextStamp(): number {
  lastStamp = Math.max(Date.now(), lastStamp + 1);
  return lastStamp;
}
let lastStamp = 0;

export function segmentName(stamp: number, kind: 'seg' | 'base.seg'): string {
  return `${String(stamp).padStart(15, '0')}-${process.pid}-${Math.random().toString(36).slice(2, 10)}.${kind}`;
}

export function isBase(name: string): boolean {
  return name.endsWith('.base.seg');
}

export function stampOf(name: string): number {
  return Number(name.slice(0, 15));
}
