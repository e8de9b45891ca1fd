/**
 * The usage ledger: one JSON line per completed model call in <codectxHome>/usage.jsonl. Appending a line is
 * atomic enough for concurrent CLI runs (each write is a single small append), and the file stays greppable.
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { codectxHome, makePrivateDir, PRIVATE_FILE_MODE } from '../config/paths.js';

export interface UsageRecord {
  /** ISO timestamp of the call's end. */
  time: string;
  category: string;
  model: string;
  inputTokens: number;
  outputTokens: number;
  /** True when the provider did not report usage and the counts are estimates. */
  tokensEstimated: boolean;
  costUsd: number;
  latencyMs: number;
  /** The model that was routed to but failed (429, quota, 5xx) before this one answered. */
  fallbackFrom?: string;
}

export function ledgerPath(): string {
  return join(codectxHome(), 'usage.jsonl');
}

export function appendUsage(record: UsageRecord, file: string = ledgerPath()): void {
  makePrivateDir(dirname(file));
  appendFileSync(file, `${JSON.stringify(record)}\n`, { mode: PRIVATE_FILE_MODE });
}

/** Records at or after `since` (all when absent). Lines that do not parse (a torn write) are skipped. */
export function readUsage(since?: Date, file: string = ledgerPath()): UsageRecord[] {
  if (!existsSync(file)) return [];
  const records: UsageRecord[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    let record: UsageRecord;
    try {
      record = JSON.parse(line) as UsageRecord;
    } catch {
      continue;
    }
    if (!since || Date.parse(record.time) >= since.getTime()) records.push(record);
  }
  return records;
}

/** Total cost of the records, optionally of one model only. */
export function spentUsd(records: UsageRecord[], model?: string): number {
  return records.filter((r) => !model || r.model === model).reduce((total, r) => total + r.costUsd, 0);
}

/** Midnight (UTC) of the day, and the first of the month: the windows budgets are counted in. */
export function startOfDay(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
}

export function startOfMonth(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
}
