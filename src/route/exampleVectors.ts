/**
 * The labelled examples' vectors, cached on disk per embedding model and example set, so a CLI run embeds only
 * the task, not the ~400 examples, each time. The examples' model (exampleModel.ts) is cached the same way.
 */
import { createHash } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { codectxHome, makePrivateDir, PRIVATE_FILE_MODE } from '../config/paths.js';
import type { EmbeddingProvider } from '../embed/types.js';

export async function embedExamples(embedder: EmbeddingProvider, texts: string[]): Promise<Float32Array[]> {
  const file = cacheFile('route-examples', `${embedder.id}\0${texts.join('\n')}`, 'f32');
  const bytes = readCached(file, texts.length * embedder.dimension * 4);
  if (bytes) {
    const all = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    return texts.map((_, i) => all.subarray(i * embedder.dimension, (i + 1) * embedder.dimension));
  }
  const vectors = await embedder.embed(texts);
  const all = new Float32Array(texts.length * embedder.dimension);
  vectors.forEach((v, i) => all.set(v, i * embedder.dimension));
  writeCached(file, all);
  return vectors;
}

/** The cache file for a content key: `<prefix>-<16 hex of its SHA-256>.<extension>` under CODECTX_HOME/cache. */
export function cacheFile(prefix: string, content: string, extension: string): string {
  const key = createHash('sha256').update(content).digest('hex').slice(0, 16);
  return join(codectxHome(), 'cache', `${prefix}-${key}.${extension}`);
}

/** The file's bytes if it exists and has the expected length, else undefined. */
export function readCached(file: string, byteLength: number): Buffer | undefined {
  try {
    const bytes = readFileSync(file);
    return bytes.byteLength === byteLength ? bytes : undefined;
  } catch {
    return undefined; // Not cached yet.
  }
}

export function writeCached(file: string, data: Float32Array | Float64Array): void {
  makePrivateDir(join(file, '..'));
  // Write then rename: a concurrent run never reads half a file.
  const partial = `${file}.${process.pid}.tmp`;
  writeFileSync(partial, new Uint8Array(data.buffer, data.byteOffset, data.byteLength), { mode: PRIVATE_FILE_MODE });
  renameSync(partial, file);
}
