import { createHash } from 'node:crypto';
import { basename } from 'node:path';

/**
 * One table/collection per codebase: a readable prefix from the folder name (or `label`) plus a short hash of its
 * real path (or the shared key a Milvus index goes by), so two checkouts named alike never share an index unless
 * they share a key. The result is valid for LanceDB and Milvus alike ([a-z0-9_], starting with a letter or
 * underscore, well under Milvus's 255-character limit).
 */
export function collectionNameFor(key: string, label = basename(key)): string {
  const readable = label
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 40);
  const prefix = /^[a-z]/.test(readable) ? readable : `c_${readable}`.replace(/_+$/, '');
  const hash = createHash('sha256').update(key).digest('hex').slice(0, 12);
  return `${prefix}_${hash}`;
}

/**
 * The Milvus collection of every codebase indexed with one embedding model and dimension (codebases are its
 * partition key): few collections however many codebases share a server.
 */
export function sharedCollectionName(embeddingId: string, dimension: number): string {
  return collectionNameFor(`${embeddingId}:${dimension}:${MILVUS_LAYOUT}`, `codectx_${MILVUS_LAYOUT}_${dimension}d_${embeddingId}`);
}

/**
 * The version of the Milvus collection layout (src/store/milvusSchema.ts), raised when it changes: a new layout
 * gets new collections (to index afresh) instead of a refusal to write into the old ones.
 */
const MILVUS_LAYOUT = 'v1';
