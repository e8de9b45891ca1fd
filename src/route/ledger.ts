/**
 * The usage ledger: one JSON line per model call that answered, in full or broken off mid-answer, in
 * <codectxHome>/usage.jsonl. Appending a line is atomic enough for concurrent CLI runs (each write is a single
 * small append), and the file stays greppable.
 */
import { appendFileSync, closeSync, existsSync, openSync, readSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { codectxHome, makePrivateDir, PRIVATE_FILE_MODE } from '../config/paths.js';
import { CodectxError, describeError } from '../errors.js';

const nonNegative = z.number().nonnegative();

/** One line of the ledger, checked as it is read: a line of another shape would sum to NaN dollars. */
const usageRecord = z.object({
  /** ISO timestamp of the call's end. */
  time: z.string().refine((time) => !Number.isNaN(Date.parse(time))),
  category: z.string().min(1),
  model: z.string().min(1),
  inputTokens: nonNegative,
  outputTokens: nonNegative,
  /** True when the provider did not report usage and the counts are estimates. */
  tokensEstimated: z.boolean(),
  costUsd: nonNegative,
  latencyMs: nonNegative,
  /** The model that was routed to but failed (429, quota, 5xx) before this one answered. */
  fallbackFrom: z.string().optional(),
  /** The answer broke off mid-stream: the tokens are estimates of what was sent before (billed all the same). */
  incomplete: z.boolean().optional(),
});

export type UsageRecord = z.infer<typeof usageRecord>;

export interface Ledger {
  records: UsageRecord[];
  /** Lines skipped: torn writes, and lines that are not a call record (edited by hand, another version). */
  malformed: number;
}

export function ledgerPath(): string {
  return join(codectxHome(), 'usage.jsonl');
}

/** Throws a CodectxError naming the file when it cannot be written (a folder in its place, no permission, disk full). */
export function appendUsage(record: UsageRecord, file: string = ledgerPath()): void {
  try {
    makePrivateDir(dirname(file));
    appendFileSync(file, `${JSON.stringify(record)}\n`, { mode: PRIVATE_FILE_MODE });
  } catch (error) {
    const why = `cannot write the usage ledger ${file} (${describeError(error)})`;
    throw new CodectxError(`${why}: stats and routing.budget do not count this call`, 1, { cause: error });
  }
}

/** Records at or after `since` (all when absent). */
export function readUsage(since?: Date, file: string = ledgerPath()): UsageRecord[] {
  return readLedger(since, file).records;
}

/**
 * Records at or after `since`, and how many lines of the whole ledger were skipped as malformed. Throws a
 * CodectxError naming the file when it cannot be read.
 */
export function readLedger(since?: Date, file: string = ledgerPath()): Ledger {
  const ledger: Ledger = { records: [], malformed: 0 };
  if (!existsSync(file)) return ledger;
  try {
    forEachLine(file, (line) => {
      if (line !== undefined && !line.trim()) return;
      const record = usageRecord.safeParse(line === undefined ? undefined : parseJson(line));
      if (!record.success) ledger.malformed += 1;
      else if (!since || Date.parse(record.data.time) >= since.getTime()) ledger.records.push(record.data);
    });
  } catch (error) {
    throw new CodectxError(`cannot read the usage ledger ${file} (${describeError(error)})`, 1, { cause: error });
  }
  return ledger;
}

/** A call's line is a few hundred bytes; a longer one is not a record and is not decoded. */
const MAX_LINE_BYTES = 64 * 1024;

/**
 * Calls `onLine` with each line of the file, read a block at a time (the whole file as one string failed past 512
 * MiB: "Cannot create a string longer than…"), or with undefined for a line over MAX_LINE_BYTES.
 */
function forEachLine(file: string, onLine: (line: string | undefined) => void): void {
  const fd = openSync(file, 'r');
  try {
    const block = Buffer.alloc(1024 * 1024);
    let pending = Buffer.alloc(0);
    let oversized = false;
    const endLine = (bytes: Buffer) => {
      onLine(oversized || bytes.length > MAX_LINE_BYTES ? undefined : bytes.toString('utf8'));
      oversized = false;
    };
    for (let read; (read = readSync(fd, block, 0, block.length, null)) > 0; ) {
      const data = Buffer.concat([pending, block.subarray(0, read)]);
      let start = 0;
      for (let end; (end = data.indexOf(0x0a, start)) >= 0; start = end + 1) endLine(data.subarray(start, end));
      pending = Buffer.from(data.subarray(start));
      if (pending.length > MAX_LINE_BYTES) {
        oversized = true;
        pending = Buffer.alloc(0);
      }
    }
    if (pending.length > 0 || oversized) endLine(pending);
  } finally {
    closeSync(fd);
  }
}

function parseJson(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
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
