import type { Command } from 'commander';
import { isStoreKind } from '../config/config.js';
import { STORE_KINDS } from '../config/fileSchema.js';
import { UsageError } from '../errors.js';
import type { Codebase } from '../index/codebase.js';
import { printable } from '../text.js';

/** Store and embedding flags every index-touching command accepts. */
export function addStoreOptions(command: Command): Command {
  return command
    .option('--store <kind>', 'vector store: lancedb (embedded, default) or milvus', storeKind)
    .option('--milvus-address <host:port>', 'Milvus server address (or CODECTX_MILVUS_ADDRESS)');
}

export interface StoreFlags {
  store?: string;
  milvusAddress?: string;
}

/** A bad --store is a usage error like any other bad flag (the config's own check is for files and CODECTX_STORE). */
function storeKind(value: string): string {
  if (!isStoreKind(value)) throw new UsageError(`unknown --store "${value}"; use ${STORE_KINDS.join(' or ')}`);
  return value;
}

/**
 * A number given on the command line: plain decimal digits within the documented range. Number() alone would
 * take "0x10", "1e9" and " 3".
 */
export function parseCount(value: string, name: string, range: { min: number; max?: number }): number {
  const parsed = /^[0-9]+$/.test(value) ? Number(value) : NaN;
  if (parsed >= range.min && parsed <= (range.max ?? Number.MAX_SAFE_INTEGER)) return parsed;
  const wanted = range.max === undefined ? `of at least ${range.min}` : `from ${range.min} to ${range.max}`;
  throw new UsageError(`${name} must be an integer ${wanted}, got "${value}"`);
}

/**
 * Commander's parser for a path argument or option: an empty path is refused, where resolving it would quietly
 * mean the current folder.
 */
export function nonEmptyPath(name: string): (value: string) => string {
  return (value) => {
    if (value === '') throw new UsageError(`${name} is empty; use . for the current folder`);
    return value;
  };
}

/**
 * Commander's parser for --model: an empty or blank name is refused. Seen: `--model "$MODEL"` with MODEL unset
 * routed by the rules without a word, while '   ' was an unknown model.
 */
export function modelName(value: string): string {
  if (value.trim() === '') throw new UsageError('--model is empty; leave it out to route by the task');
  return value;
}

/** Skipped files by reason, as index, its dry run and status print them: "3 binary, 1 unreadable". */
export function skippedByReason(counts: Iterable<[string, number]>): string {
  return [...counts].map(([reason, n]) => `${n} ${reason}`).join(', ');
}

/**
 * Which index a run builds when the folder is part of an indexed codebase (see indexTarget): `index`, `watch` and
 * `add` say so alike.
 */
export function enclosingNote(codebase: Codebase, enclosing: Codebase, command: 'index' | 'watch' | 'add'): string {
  if (codebase === enclosing) {
    return `${command === 'index' ? 'indexing' : 'watching'} ${printable(enclosing.root)}, the indexed codebase this folder is in (\`codectx ${command} .\` ${command === 'index' ? 'indexes' : 'watches'} the folder on its own)`;
  }
  return `${printable(codebase.root)} is inside the indexed codebase ${printable(enclosing.root)}; it is indexed on its own, and search there uses its index, not that one`;
}
