import type { Command } from 'commander';
import { UsageError } from '../errors.js';

/** Store and embedding flags every index-touching command accepts. */
export function addStoreOptions(command: Command): Command {
  return command
    .option('--store <kind>', 'vector store: lancedb (embedded, default) or milvus')
    .option('--milvus-address <host:port>', 'Milvus server address (or CODECTX_MILVUS_ADDRESS)');
}

export interface StoreFlags {
  store?: string;
  milvusAddress?: string;
}

export function parsePositiveInt(value: string, name: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed <= 0) throw new UsageError(`${name} must be a positive integer, got "${value}"`);
  return parsed;
}

/** Relative time for humans: "12s ago", "3h ago". */
export function ago(iso: string, now = Date.now()): string {
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (seconds < 60) return `${seconds}s ago`;
  if (seconds < 3600) return `${Math.round(seconds / 60)}m ago`;
  if (seconds < 86400) return `${Math.round(seconds / 3600)}h ago`;
  return `${Math.round(seconds / 86400)}d ago`;
}
