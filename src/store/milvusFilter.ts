import type { SearchFilter } from './types.js';

// Milvus Lite (the server the tests run against) rejects filter templates (`file in {files}`: "unexpected
// character '{'"), and so do servers before 2.5, so values go in as string literals. Both grammars take these
// four escapes and any other character raw (NUL, tabs, any Unicode); a raw newline ends the literal early.
const ESCAPES: Record<string, string> = { '\\': '\\\\', '"': '\\"', '\n': '\\n', '\r': '\\r' };

/** A double-quoted string literal for a Milvus boolean expression that stands for exactly `value`. */
export function milvusString(value: string): string {
  return `"${value.replace(/[\\"\n\r]/g, (char) => ESCAPES[char]!)}"`;
}

/** `file in [...]` for one batch of files. */
export function milvusFileList(files: string[]): string {
  return milvusIn('file', files);
}

/** `<field> in [...]` for one batch of string values. */
export function milvusIn(field: string, values: string[]): string {
  return `${field} in [${values.map(milvusString).join(', ')}]`;
}

const MAX_CODE_POINT = 0x10ffff;

/**
 * The least string above every string that starts with `prefix` (undefined when there is none): the prefix with
 * its last code point raised by one, after dropping trailing U+10FFFF, which cannot be raised.
 */
function prefixUpperBound(prefix: string): string | undefined {
  const points = Array.from(prefix, (char) => char.codePointAt(0)!);
  while (points.at(-1) === MAX_CODE_POINT) points.pop();
  const last = points.pop();
  if (last === undefined) return undefined;
  // No character lies between U+D7FF and U+E000 (UTF-16 surrogates).
  points.push(last === 0xd7ff ? 0xe000 : last + 1);
  return String.fromCodePoint(...points);
}

/**
 * `file` starts with `prefix`, as a range of strings rather than LIKE: wildcard escapes in LIKE differ between
 * Milvus versions and Milvus Lite's evaluators (one reads `\_` as a backslash and any character), while string
 * order is code point order everywhere (UTF-8 bytes), so `_`, `%` and `\` in a folder name match literally.
 */
function startsWith(field: string, prefix: string): string {
  const lower = `${field} >= ${milvusString(prefix)}`;
  const upper = prefixUpperBound(prefix);
  return upper === undefined ? lower : `${lower} and ${field} < ${milvusString(upper)}`;
}

/** A SearchFilter as a Milvus boolean expression ('' when it filters nothing). */
export function milvusExpr(filter: SearchFilter | undefined): string {
  if (filter === undefined) return '';
  const clauses: string[] = [];
  if (filter.pathPrefix) clauses.push(startsWith('file', filter.pathPrefix));
  if (filter.language) clauses.push(`language == ${milvusString(filter.language)}`);
  if (filter.kind) clauses.push(`kind == ${milvusString(filter.kind)}`);
  return clauses.join(' and ');
}
