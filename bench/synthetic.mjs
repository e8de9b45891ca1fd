// Deterministic random data for the store benches: one seed gives the same corpus and queries on every run.
import { readFileSync } from 'node:fs';

/** A seeded generator (LCG) with Gaussian draws and random unit vectors of `dim` dimensions. */
export function seededRandom(seed, dim) {
  let state = seed;
  const random = () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
  const gaussian = () => Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random());
  /** Scales `vector` to unit length in place. */
  const normalise = (vector) => {
    let norm = 0;
    for (let i = 0; i < dim; i++) norm += vector[i] ** 2;
    norm = Math.sqrt(norm);
    for (let i = 0; i < dim; i++) vector[i] /= norm;
    return vector;
  };
  const unitVector = () => {
    const vector = new Float32Array(dim);
    for (let i = 0; i < dim; i++) vector[i] = gaussian();
    return normalise(vector);
  };
  return { random, gaussian, normalise, unitVector };
}

const source = readFileSync(new URL('../node_modules/typescript/lib/typescript.js', import.meta.url), 'utf8').split('\n');

/** Chunks of real code (random slices of typescript.js) with random vectors, and queries for them, from `rng`. */
export function syntheticCorpus({ random, unitVector }) {
  /** `count` chunks numbered from `first`, eight to a file. */
  function makeChunks(count, first = 0) {
    const chunks = [];
    for (let i = first; i < first + count; i++) {
      const length = 8 + Math.floor(random() * 30);
      const start = Math.floor(random() * (source.length - length));
      const content = source.slice(start, start + length).join('\n');
      const symbol = /function\s+([A-Za-z_$][\w$]*)/.exec(content)?.[1] ?? '';
      chunks.push({
        id: `chunk-${i}`,
        file: `src/module${i % 997}/file${Math.floor(i / 8)}.ts`,
        language: i % 10 === 0 ? 'javascript' : 'typescript',
        symbol,
        kind: symbol ? 'function' : 'block',
        container: '',
        startLine: start + 1,
        endLine: start + length,
        content,
        contentHash: `content-${i}`,
        fileHash: `file-${Math.floor(i / 8)}`,
        vector: unitVector(),
      });
    }
    return chunks;
  }

  /** Query words: identifiers taken from random chunks (what people paste into a code search). */
  function makeQueries(chunks, count) {
    return Array.from({ length: count }, () => {
      const chunk = chunks[Math.floor(random() * chunks.length)];
      const words = chunk.content.match(/[A-Za-z_][A-Za-z0-9_]{3,}/g) ?? ['function'];
      const text = Array.from({ length: 2 }, () => words[Math.floor(random() * words.length)]).join(' ');
      return { vector: unitVector(), text };
    });
  }

  return { makeChunks, makeQueries };
}
