import { DataType } from '@zilliz/milvus2-sdk-node';

/**
 * The chunk collection's layout, and the check that an existing collection has it: a collection from another
 * codectx version, another tool, or a create that failed half-way must be named, not written into.
 *
 * One collection holds every codebase indexed with one model and dimension (Milvus advises well under ~1,000
 * collections an instance): `codebase` is the partition key, so a codebase's rows sit together and a filter on it
 * searches only its partition. The primary key is the codebase plus the chunk id, as two forks may hold the same
 * chunk; the chunk id is kept as a field of its own and read back from it.
 */

// Milvus's VarChar ceiling; longer text is cut (content of a chunk that large is rare: the chunker splits big units).
export const MAX_TEXT_BYTES = 65_535;
const ID_FIELDS = { id: 512, codebase: 128, file: 4_096, language: 64, symbol: 1_024, kind: 32, container: 1_024, hash: 128 };
/** Most of a chunk's bytes, read only for the hits a search returns: memory-mapped rather than loaded. */
export const MAPPED_FIELDS = ['search_text'] as const;
/** Partitions the codebases hash into (Milvus's default is 16, its ceiling 1,024). */
export const CODEBASE_PARTITIONS = 64;
/** Filtered on by searches (--under, --language, --kind) and deletes: an index spares a scan. */
export const SCALAR_INDEXED = ['file', 'language', 'kind'] as const;
const BM25_FUNCTION = 'search_text_bm25';

export function collectionFields(dimension: number) {
  const text = (name: string, max_length: number) => ({ name, data_type: DataType.VarChar, max_length });
  return [
    { ...text('pk', ID_FIELDS.codebase + 1 + ID_FIELDS.id), is_primary_key: true, autoID: false },
    text('chunk_id', ID_FIELDS.id),
    { ...text('codebase', ID_FIELDS.codebase), is_partition_key: true },
    text('file', ID_FIELDS.file),
    text('language', ID_FIELDS.language),
    text('symbol', ID_FIELDS.symbol),
    text('kind', ID_FIELDS.kind),
    text('container', ID_FIELDS.container),
    { name: 'start_line', data_type: DataType.Int64 },
    { name: 'end_line', data_type: DataType.Int64 },
    // The code itself is stored once, inside search_text (see contentOffset); this says where it ends.
    { name: 'content_length', data_type: DataType.Int64 },
    text('content_hash', ID_FIELDS.hash),
    text('file_hash', ID_FIELDS.hash),
    {
      ...text('search_text', MAX_TEXT_BYTES),
      enable_analyzer: true,
      // Code is not prose: no stemming or stop words, lowercase so identifier parts match queries.
      analyzer_params: { tokenizer: 'standard', filter: ['lowercase'] },
    },
    { name: 'sparse', data_type: DataType.SparseFloatVector },
    { name: 'vector', data_type: DataType.FloatVector, dim: dimension },
  ];
}

export const collectionFunctions = [
  { name: BM25_FUNCTION, type: 'BM25' as const, input_field_names: ['search_text'], output_field_names: ['sparse'], params: {} },
];

/** The vector index: HNSW, or HNSW over 8-bit scalar-quantised vectors (a quarter of the memory, Milvus 2.6+). */
export interface VectorIndexSettings {
  type?: 'HNSW' | 'HNSW_SQ8';
  M?: number;
  efConstruction?: number;
  /** Candidates a search explores; raised to the number of results asked for. */
  ef?: number;
}

// M=16 is Milvus's default; ef=128 keeps recall high at the depth hybrid search asks each side for (50).
export const VECTOR_INDEX_DEFAULTS = { type: 'HNSW', M: 16, efConstruction: 200, ef: 128 } as const;

function vectorIndex(settings: VectorIndexSettings) {
  const { type, M, efConstruction } = { ...VECTOR_INDEX_DEFAULTS, ...settings };
  return type === 'HNSW_SQ8'
    ? { index_type: 'HNSW_SQ', params: { M, efConstruction, sq_type: 'SQ8' } }
    : { index_type: 'HNSW', params: { M, efConstruction } };
}

/** Every index the collection needs, by field. */
export function collectionIndexes(collection_name: string, vector: VectorIndexSettings) {
  return [
    { collection_name, field_name: 'vector', metric_type: 'COSINE', ...vectorIndex(vector) },
    { collection_name, field_name: 'sparse', index_type: 'SPARSE_INVERTED_INDEX', metric_type: 'BM25' },
    ...SCALAR_INDEXED.map((field_name) => ({ collection_name, field_name, index_type: 'INVERTED' })),
  ];
}

interface DescribedField {
  name: string;
  data_type?: string;
  is_partition_key?: boolean;
  type_params?: { key: string; value: string }[];
}

interface DescribedFunction {
  type?: string | number;
  input_field_names?: string[];
  output_field_names?: string[];
}

export interface DescribedSchema {
  fields: DescribedField[];
  functions?: DescribedFunction[];
}

/** Why an existing collection cannot hold this index's chunks, or undefined when it can. */
export function schemaProblem(schema: DescribedSchema, dimension: number): string | undefined {
  const byName = new Map(schema.fields.map((field) => [field.name, field]));
  const missing = collectionFields(dimension)
    .filter((wanted) => byName.get(wanted.name)?.data_type !== DataType[wanted.data_type])
    .map((wanted) => wanted.name);
  if (missing.length > 0) return `it has no ${missing.join(', ')} field${missing.length > 1 ? 's' : ''} of the expected type`;
  if (!byName.get('codebase')?.is_partition_key) return 'its codebase field is not the partition key';
  const param = (field: string, key: string) => byName.get(field)?.type_params?.find((item) => item.key === key)?.value;
  const dim = Number(param('vector', 'dim'));
  if (dim !== dimension) return `it holds ${dim}-dim vectors, not ${dimension}`;
  if (param('search_text', 'enable_analyzer') !== 'true') return 'its search_text field has no analyzer';
  const bm25 = (schema.functions ?? []).some(
    (fn) => String(fn.type) === 'BM25' && fn.input_field_names?.[0] === 'search_text' && fn.output_field_names?.[0] === 'sparse',
  );
  if (!bm25) return 'it has no BM25 function from search_text to sparse';
  return undefined;
}
