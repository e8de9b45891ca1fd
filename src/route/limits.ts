/**
 * Which models are at their limit right now: an observed 429/quota error (remembered for a while in
 * <codectxHome>/model-limits.json, so the next run does not hit the same wall) or a configured spending cap.
 * Also the overall budget guard.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { codectxHome, makePrivateDir, PRIVATE_FILE_MODE } from '../config/paths.js';
import { CodectxError, ConfigError, describeError } from '../errors.js';
import { formatUsd } from './cost.js';
import { readUsage, spentUsd, startOfDay, startOfMonth, type UsageRecord } from './ledger.js';
import type { RoutingPolicy } from './policy.js';

/** How long a model stays marked after a 429 when the provider did not say (Retry-After). */
const DEFAULT_LIMIT_MS = 15 * 60_000;

const limitMarker = z.object({ until: z.string(), reason: z.string() });
type LimitMarker = z.infer<typeof limitMarker>;

export function limitsPath(): string {
  return join(codectxHome(), 'model-limits.json');
}

/**
 * The live markers. A file that is not JSON, or an entry of another shape (`null`, edited by hand), is read as no
 * marker: it only delays a fallback, where it crashed every `route` and `ask` with a TypeError.
 */
function readMarkers(file: string): Record<string, LimitMarker> {
  if (!existsSync(file)) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return {};
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return {};
  const markers: Record<string, LimitMarker> = {};
  for (const [model, entry] of Object.entries(parsed)) {
    const marker = limitMarker.safeParse(entry);
    if (marker.success) markers[model] = marker.data;
  }
  return markers;
}

/** Remembers that `model` hit a rate limit or quota. Throws a CodectxError naming the file when it cannot be written. */
export function markLimited(model: string, reason: string, now = new Date(), retryAfterMs = DEFAULT_LIMIT_MS): void {
  const file = limitsPath();
  const markers = readMarkers(file);
  markers[model] = { until: new Date(now.getTime() + retryAfterMs).toISOString(), reason };
  try {
    makePrivateDir(dirname(file));
    writeFileSync(file, `${JSON.stringify(markers, null, 2)}\n`, { mode: PRIVATE_FILE_MODE });
  } catch (error) {
    throw new CodectxError(`cannot write ${file} (${describeError(error)}): the next run tries ${model} again`, 1, { cause: error });
  }
}

/** Models at their limit now, with why: live 429 markers and models whose daily/monthly cap is spent. */
export function limitedModels(policy: RoutingPolicy, now = new Date()): Map<string, string> {
  const limited = new Map<string, string>();
  for (const [model, marker] of Object.entries(readMarkers(limitsPath()))) {
    if (Date.parse(marker.until) > now.getTime()) limited.set(model, marker.reason);
  }
  const caps = Object.entries(policy.caps ?? {});
  if (caps.length === 0) return limited;
  const month = readUsage(startOfMonth(now));
  const day = month.filter((r) => Date.parse(r.time) >= startOfDay(now).getTime());
  for (const [model, cap] of caps) {
    const over = overBudget(cap, day, month, model);
    if (over && !limited.has(model)) limited.set(model, `cap: ${over}`);
  }
  return limited;
}

/** Throws when the configured overall budget is spent: nothing more is sent until the window rolls over. */
export function assertWithinBudget(policy: RoutingPolicy, now = new Date()): void {
  if (!policy.budget) return;
  const month = readUsage(startOfMonth(now));
  const day = month.filter((r) => Date.parse(r.time) >= startOfDay(now).getTime());
  const over = overBudget(policy.budget, day, month);
  if (over) throw new ConfigError(`budget reached: ${over} (raise routing.budget in codectx.config.json or wait)`);
}

function overBudget(
  budget: { dailyUsd?: number; monthlyUsd?: number },
  day: UsageRecord[],
  month: UsageRecord[],
  model?: string,
): string | undefined {
  const today = spentUsd(day, model);
  if (budget.dailyUsd !== undefined && today >= budget.dailyUsd) {
    return `${formatUsd(today)} spent today of ${formatUsd(budget.dailyUsd)} daily`;
  }
  const thisMonth = spentUsd(month, model);
  if (budget.monthlyUsd !== undefined && thisMonth >= budget.monthlyUsd) {
    return `${formatUsd(thisMonth)} spent this month of ${formatUsd(budget.monthlyUsd)} monthly`;
  }
  return undefined;
}
