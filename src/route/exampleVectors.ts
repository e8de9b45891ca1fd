/**
 * The labelled examples' vectors, cached on disk per embedding model and example set, so a CLI run embeds only
 * the task, not the ~70 examples, each time.
 */
import { createHash } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { codectxHome, makePrivateDir, PRIVATE_FILE_MODE } from '../config/paths.js';
import type { EmbeddingProvider } from '../embed/types.js';

export async function embedExamples(embedder: EmbeddingProvider, texts: string[]): Promise<Float32Array[]> {
  const key = createHash('sha256').update(`${embedder.id}\0${texts.join('\n')}`).digest('hex').slice(0, 16);
  const dir = join(codectxHome(), 'cache');
  const file = join(dir, `route-examples-${key}.f32`);
  try {
    const bytes = readFileSync(file);
    if (bytes.byteLength === texts.length * embedder.dimension * 4) {
      const all = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
      return texts.map((_, i) => all.subarray(i * embedder.dimension, (i + 1) * embedder.dimension));
    }
  } catch {
    // Not cached yet.
  }
  const vectors = await embedder.embed(texts);
  const all = new Float32Array(texts.length * embedder.dimension);
  vectors.forEach((v, i) => all.set(v, i * embedder.dimension));
  makePrivateDir(dir);
  // Write then rename: a concurrent run never reads half a file.
  const partial = `${file}.${process.pid}.tmp`;
  writeFileSync(partial, new Uint8Array(all.buffer), { mode: PRIVATE_FILE_MODE });
  renameSync(partial, file);
  return vectors;
}
