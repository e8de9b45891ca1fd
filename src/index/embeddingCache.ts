import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';

const KEY_BYTES = 16;

/**
 * Vectors by content hash, on disk, so a renamed file or a branch switched back and forth costs no new
 * embeddings. An append-only file of fixed-size records (16-byte key + float32 vector); only the key → offset
 * map lives in memory (about 60 bytes a chunk), vectors are read when needed. A torn last record from a crash
 * is cut off on open.
 */
export class EmbeddingCache {
  private constructor(
    private readonly handle: FileHandle,
    private readonly dimension: number,
    private readonly offsets: Map<string, number>,
    private size: number,
  ) {}

  static async open(path: string, dimension: number): Promise<EmbeddingCache> {
    await mkdir(dirname(path), { recursive: true });
    const handle = await open(path, 'a+');
    const recordBytes = KEY_BYTES + dimension * 4;
    const { size: fileSize } = await handle.stat();
    const whole = fileSize - (fileSize % recordBytes);
    if (whole !== fileSize) await handle.truncate(whole);
    const offsets = new Map<string, number>();
    // Keys are read in large blocks: one read per record made opening a 10k-entry cache take a third of a second.
    const recordsPerBlock = Math.max(1, Math.floor((4 << 20) / recordBytes));
    const block = Buffer.alloc(recordsPerBlock * recordBytes);
    for (let start = 0; start < whole; start += block.length) {
      const { bytesRead } = await handle.read(block, 0, Math.min(block.length, whole - start), start);
      for (let at = 0; at + recordBytes <= bytesRead; at += recordBytes) {
        offsets.set(block.toString('hex', at, at + KEY_BYTES), start + at);
      }
    }
    return new EmbeddingCache(handle, dimension, offsets, whole);
  }

  get entries(): number {
    return this.offsets.size;
  }

  has(contentHash: string): boolean {
    return this.offsets.has(contentHash.slice(0, KEY_BYTES * 2));
  }

  async get(contentHash: string): Promise<Float32Array | undefined> {
    const offset = this.offsets.get(contentHash.slice(0, KEY_BYTES * 2));
    if (offset === undefined) return undefined;
    const bytes = Buffer.alloc(this.dimension * 4);
    await this.handle.read(bytes, 0, bytes.length, offset + KEY_BYTES);
    return new Float32Array(bytes.buffer, bytes.byteOffset, this.dimension);
  }

  async putMany(items: { contentHash: string; vector: Float32Array }[]): Promise<void> {
    const fresh = items.filter((item) => !this.has(item.contentHash));
    if (fresh.length === 0) return;
    const recordBytes = KEY_BYTES + this.dimension * 4;
    const buffer = Buffer.alloc(fresh.length * recordBytes);
    fresh.forEach((item, i) => {
      const base = i * recordBytes;
      buffer.write(item.contentHash.slice(0, KEY_BYTES * 2), base, 'hex');
      Buffer.from(item.vector.buffer, item.vector.byteOffset, this.dimension * 4).copy(buffer, base + KEY_BYTES);
    });
    await this.handle.write(buffer, 0, buffer.length, this.size);
    fresh.forEach((item, i) => this.offsets.set(item.contentHash.slice(0, KEY_BYTES * 2), this.size + i * recordBytes));
    this.size += buffer.length;
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}
