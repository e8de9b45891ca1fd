/** What a chunk is: the unit codectx embeds, stores, searches and hands to models. */
export type ChunkKind =
  | 'function'
  | 'method'
  | 'class'
  | 'interface'
  | 'struct'
  | 'enum'
  | 'trait'
  | 'impl'
  | 'module'
  | 'type'
  | 'section' // a Markdown heading and its body
  | 'block'; // top-level statements, or a window of a file no grammar could cut

export const CHUNK_KINDS: readonly ChunkKind[] = [
  'function',
  'method',
  'class',
  'interface',
  'struct',
  'enum',
  'trait',
  'impl',
  'module',
  'type',
  'section',
  'block',
];

export interface Chunk {
  /** Path relative to the codebase root, with forward slashes. */
  file: string;
  language: string;
  /** 1-based, inclusive. */
  startLine: number;
  endLine: number;
  /** Symbol name ('' when the chunk has none, e.g. top-level statements). */
  symbol: string;
  kind: ChunkKind;
  /** Enclosing symbol, e.g. the class of a method ('' at top level). */
  container: string;
  content: string;
}
