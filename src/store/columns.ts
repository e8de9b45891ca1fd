import type { ChunkKind } from '../chunk/types.js';
import { keywordText } from './keywordText.js';
import type { ChunkRecord, StoredChunk } from './types.js';

/** The scalar columns both stores keep per chunk (snake_case: valid column names in LanceDB and Milvus). */
export interface ChunkColumns {
  id: string;
  file: string;
  language: string;
  symbol: string;
  kind: string;
  container: string;
  start_line: number;
  end_line: number;
  content: string;
  content_hash: string;
  file_hash: string;
  search_text: string;
}

/** Columns a search reads back (everything but the vector, the BM25 text and the hashes). */
export const RECORD_COLUMNS = [
  'id',
  'file',
  'language',
  'symbol',
  'kind',
  'container',
  'start_line',
  'end_line',
  'content',
] as const;

export function toColumns(chunk: StoredChunk): ChunkColumns {
  return {
    id: chunk.id,
    file: chunk.file,
    language: chunk.language,
    symbol: chunk.symbol,
    kind: chunk.kind,
    container: chunk.container,
    start_line: chunk.startLine,
    end_line: chunk.endLine,
    content: chunk.content,
    content_hash: chunk.contentHash,
    file_hash: chunk.fileHash,
    search_text: keywordText(chunk),
  };
}

/** A stored row back to a ChunkRecord (Milvus returns Int64 as strings, LanceDB Int32 as numbers). */
export function fromColumns(row: Record<string, unknown>, id: string = String(row.id)): ChunkRecord {
  return {
    id,
    file: String(row.file),
    language: String(row.language),
    symbol: String(row.symbol),
    kind: String(row.kind) as ChunkKind,
    container: String(row.container),
    startLine: Number(row.start_line),
    endLine: Number(row.end_line),
    content: String(row.content),
  };
}
