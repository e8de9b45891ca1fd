import type { SearchFilter } from './types.js';

/** A string literal for a Milvus boolean expression (backslash and double quote escaped). */
export function milvusString(value: string): string {
  return `"${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}

/** `file in [...]` for one batch of files. */
export function milvusFileList(files: string[]): string {
  return `file in [${files.map(milvusString).join(', ')}]`;
}

/** A LIKE pattern matching everything starting with `prefix`: its own %, _ and \ escaped so they match literally. */
function likePrefix(prefix: string): string {
  return `${prefix.replace(/[\\%_]/g, (char) => `\\${char}`)}%`;
}

/** A SearchFilter as a Milvus boolean expression ('' when it filters nothing). */
export function milvusExpr(filter: SearchFilter | undefined): string {
  if (filter === undefined) return '';
  const clauses: string[] = [];
  if (filter.pathPrefix) clauses.push(`file like ${milvusString(likePrefix(filter.pathPrefix))}`);
  if (filter.language) clauses.push(`language == ${milvusString(filter.language)}`);
  if (filter.kind) clauses.push(`kind == ${milvusString(filter.kind)}`);
  return clauses.join(' and ');
}
