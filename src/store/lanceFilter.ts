import type { SearchFilter } from './types.js';

/**
 * A SQL string literal for LanceDB's DataFusion dialect: single quotes doubled, and nothing else to escape, since
 * it reads backslashes, newlines, NUL and any Unicode literally (test/store.filter.fuzz.test.ts checks this).
 */
export function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** `file IN (...)` for one batch of files. */
export function sqlFileList(files: string[]): string {
  return `file IN (${files.map(sqlString).join(', ')})`;
}

/**
 * A SearchFilter as a LanceDB `where` predicate, or undefined when it filters nothing.
 * The prefix uses starts_with rather than LIKE so '%' and '_' in paths need no escaping.
 */
export function lanceWhere(filter: SearchFilter | undefined): string | undefined {
  if (filter === undefined) return undefined;
  const clauses: string[] = [];
  if (filter.pathPrefix) clauses.push(`starts_with(file, ${sqlString(filter.pathPrefix)})`);
  if (filter.language) clauses.push(`language = ${sqlString(filter.language)}`);
  if (filter.kind) clauses.push(`kind = ${sqlString(filter.kind)}`);
  return clauses.length > 0 ? clauses.join(' AND ') : undefined;
}
