/** Usage totals from the ledger, and what the same calls would have cost sent to Claude Opus. */
import { callCostUsd, roundUsd } from './cost.js';
import type { UsageRecord } from './ledger.js';
import type { ModelEntry } from './policy.js';

export interface UsageTotals {
  calls: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}

export interface UsageSummary {
  total: UsageTotals;
  byModel: Record<string, UsageTotals>;
  byCategory: Record<string, UsageTotals>;
  /** The same token counts at Opus prices. */
  allOpusCostUsd: number;
  savingsUsd: number;
  /** Calls that were answered by a fallback model. */
  fallbacks: number;
  /** Calls whose answer broke off mid-stream (counted above at estimated tokens, since they are billed). */
  incomplete: number;
  /** Calendar days (UTC) from the first call to the last, both included: the divisor for per-day figures. */
  days: number;
}

const DAY_MS = 86_400_000;

export function summarizeUsage(records: UsageRecord[], opus: ModelEntry): UsageSummary {
  const total = emptyTotals();
  // Keyed by names read from the ledger: on a plain object, `constructor` or `__proto__` found Object's own
  // members, and their calls were summed into those instead of a row.
  const byModel: Record<string, UsageTotals> = Object.create(null);
  const byCategory: Record<string, UsageTotals> = Object.create(null);
  let allOpusCostUsd = 0;
  let firstDay = Infinity;
  let lastDay = -Infinity;
  for (const r of records) {
    for (const totals of [total, (byModel[r.model] ??= emptyTotals()), (byCategory[r.category] ??= emptyTotals())]) {
      totals.calls += 1;
      totals.inputTokens += r.inputTokens;
      totals.outputTokens += r.outputTokens;
      totals.costUsd += r.costUsd;
    }
    allOpusCostUsd += callCostUsd(opus, r.inputTokens, r.outputTokens);
    const day = Math.floor(Date.parse(r.time) / DAY_MS);
    firstDay = Math.min(firstDay, day);
    lastDay = Math.max(lastDay, day);
  }
  return {
    total,
    byModel,
    byCategory,
    allOpusCostUsd,
    savingsUsd: allOpusCostUsd - total.costUsd,
    fallbacks: records.filter((r) => r.fallbackFrom).length,
    incomplete: records.filter((r) => r.incomplete).length,
    days: records.length > 0 ? lastDay - firstDay + 1 : 1,
  };
}

export interface RoundedSavings {
  allOpusUsd: number;
  spentUsd: number;
  /** all-Opus minus spent as rounded, so the printed line adds up. */
  savedUsd: number;
  /** Percent of all-Opus saved, from the rounded figures; undefined when all-Opus rounds to nothing. */
  savedPercent: number | undefined;
}

/** The savings line as printed: all-Opus and spent rounded alike, and saved taken from those two. */
export function roundedSavings(summary: UsageSummary, decimals: number): RoundedSavings {
  const allOpusUsd = roundUsd(summary.allOpusCostUsd, decimals);
  const spentUsd = roundUsd(summary.total.costUsd, decimals);
  const savedUsd = roundUsd(allOpusUsd - spentUsd, decimals);
  return { allOpusUsd, spentUsd, savedUsd, savedPercent: allOpusUsd > 0 ? Math.round((savedUsd / allOpusUsd) * 100) : undefined };
}

function emptyTotals(): UsageTotals {
  return { calls: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 };
}

/**
 * `7d`, `12h`, `30m` or an ISO date (2026-11-01, 2026-11-01T09:30) → the moment it names, relative to `now`. Only
 * ISO dates: Date.parse alone took `7` for 1 July 2001 and `foo 2020` for 2020, so `--since 7` counted every call.
 */
export function parseSince(value: string, now = new Date()): Date | undefined {
  const relative = /^(\d+)\s*([dhm])$/i.exec(value.trim());
  const isoDate = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?$/.test(value.trim());
  let since: Date | undefined;
  if (relative) {
    const unit = { d: DAY_MS, h: 3_600_000, m: 60_000 }[relative[2]!.toLowerCase() as 'd' | 'h' | 'm'];
    since = new Date(now.getTime() - Number(relative[1]) * unit);
  } else if (isoDate) {
    since = new Date(value.trim());
  }
  // Out of Date's range (`99999999999d`) is no moment either: toISOString() would throw.
  return since && !Number.isNaN(since.getTime()) ? since : undefined;
}
