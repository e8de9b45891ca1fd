import { appendFileSync, mkdirSync, mkdtempSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { CodectxError, ConfigError } from '../src/errors.js';
import { appendUsage, ledgerPath, readLedger, readUsage, type UsageRecord } from '../src/route/ledger.js';
import { assertWithinBudget, limitedModels, limitsPath, markLimited } from '../src/route/limits.js';
import { defaultPolicy, mergePolicy } from '../src/route/policy.js';
import { parseSince, roundedSavings, summarizeUsage, type UsageSummary } from '../src/route/stats.js';
import { callCostUsd, formatUsd, usdDecimals } from '../src/route/cost.js';

const policy = defaultPolicy();

function record(model: string, category: string, inputTokens: number, outputTokens: number, time: string, extra: Partial<UsageRecord> = {}): UsageRecord {
  return {
    time,
    category,
    model,
    inputTokens,
    outputTokens,
    tokensEstimated: false,
    costUsd: callCostUsd(policy.models[model]!, inputTokens, outputTokens),
    latencyMs: 100,
    ...extra,
  };
}

beforeEach(() => {
  process.env.CODECTX_HOME = mkdtempSync(join(tmpdir(), 'codectx-ledger-'));
});

describe('usage ledger', () => {
  it('appends one JSON line per call and reads back those since a time, skipping torn lines', () => {
    appendUsage(record('kimi-k2', 'css_tweaks', 1000, 100, '2026-11-01T10:00:00.000Z'));
    appendFileSync(ledgerPath(), '{"time": "2026-11-0\n');
    appendUsage(record('claude-opus', 'security_review', 2000, 500, '2026-11-03T10:00:00.000Z'));
    expect(readUsage().map((r) => r.model)).toEqual(['kimi-k2', 'claude-opus']);
    expect(readUsage(new Date('2026-11-02T00:00:00Z')).map((r) => r.model)).toEqual(['claude-opus']);
  });

  it('skips and counts lines that are not a call record, so no sum turns NaN', () => {
    const good = record('kimi-k2', 'css_tweaks', 1000, 100, '2026-11-01T10:00:00.000Z');
    appendUsage(good);
    const bad = [
      { time: 'x', model: 5 },
      { ...good, time: 'yesterday' },
      { ...good, costUsd: '0.01' },
      { ...good, inputTokens: -1 },
      { ...good, category: undefined },
      { ...good, tokensEstimated: 'no' },
      null,
      42,
    ];
    appendFileSync(ledgerPath(), `${bad.map((line) => JSON.stringify(line)).join('\n')}\n{"time": "2026-11-0\n`);
    const ledger = readLedger();
    expect(ledger.records).toEqual([good]);
    expect(ledger.malformed).toBe(bad.length + 1);
    // Counted over the whole file, whatever the window.
    expect(readLedger(new Date('2026-12-01T00:00:00Z'))).toEqual({ records: [], malformed: bad.length + 1 });
    const summary = summarizeUsage(ledger.records, policy.models['claude-opus']!);
    expect(Object.keys(summary.byCategory)).toEqual(['css_tweaks']);
    expect(Number.isFinite(summary.total.costUsd)).toBe(true);
  });

  it('reads a ledger past 512 MiB, a line that is no record counted as malformed', () => {
    // Seen: "unexpected error: Cannot create a string longer than 0x1fffffe8 characters" from stats. The gap is sparse.
    const first = record('kimi-k2', 'css_tweaks', 1000, 100, '2026-11-01T10:00:00.000Z');
    const last = record('claude-opus', 'security_review', 2000, 500, '2026-11-03T10:00:00.000Z');
    appendUsage(first);
    truncateSync(ledgerPath(), 600 * 1024 * 1024);
    appendUsage(last);
    expect(readLedger()).toEqual({ records: [first], malformed: 1 });
    appendUsage(last);
    expect(readLedger()).toEqual({ records: [first, last], malformed: 1 });
  });

  it('names the ledger in one line when it cannot be read or written', () => {
    mkdirSync(ledgerPath());
    const expected = (verb: string) => expect.objectContaining({ message: expect.stringMatching(`^cannot ${verb} the usage ledger ${ledgerPath()} \\(EISDIR`) });
    expect(() => readLedger()).toThrow(CodectxError);
    expect(() => readLedger()).toThrow(expected('read'));
    expect(() => appendUsage(record('kimi-k2', 'css_tweaks', 1, 1, '2026-11-01T10:00:00.000Z'))).toThrow(expected('write'));
  });

  it('sums per model and per category, and prices the same tokens at Opus rates', () => {
    const records = [
      record('kimi-k2', 'css_tweaks', 1_000_000, 100_000, '2026-11-01T10:00:00Z'), // $1 + $0.30
      record('qwen3-coder', 'feature_implementation', 300_000, 10_000, '2026-11-02T10:00:00Z'), // tier 2: $1.80 + $0.60
      record('qwen3-coder', 'api_design', 100_000, 10_000, '2026-11-02T11:00:00Z', { fallbackFrom: 'kimi-k2' }), // $0.30 + $0.15
      record('gemini-2.5-flash', 'codebase_overview', 2_000_000, 20_000, '2026-11-03T09:00:00Z'), // $0.15 + $0.006
    ];
    const summary = summarizeUsage(records, policy.models['claude-opus']!);
    expect(summary.byModel['kimi-k2']!.costUsd).toBeCloseTo(1.3, 10);
    expect(summary.byModel['qwen3-coder']).toMatchObject({ calls: 2, inputTokens: 400_000, outputTokens: 20_000 });
    expect(summary.byModel['qwen3-coder']!.costUsd).toBeCloseTo(2.85, 10);
    expect(summary.byCategory['codebase_overview']!.costUsd).toBeCloseTo(0.156, 10);
    expect(summary.total).toMatchObject({ calls: 4, inputTokens: 3_400_000, outputTokens: 140_000 });
    expect(summary.total.costUsd).toBeCloseTo(4.306, 10);
    // Opus: $15 in, $75 out per million → 3.4M × 15 + 0.14M × 75 = 51 + 10.5.
    expect(summary.allOpusCostUsd).toBeCloseTo(61.5, 10);
    expect(summary.savingsUsd).toBeCloseTo(61.5 - 4.306, 10);
    expect(summary.fallbacks).toBe(1);
    expect(summary.days).toBe(3); // 1, 2 and 3 November
  });

  it('rounds the savings line so that all-Opus minus spent is saved, as printed', () => {
    // Rounded one by one: $0.13 − $0.01 ≠ $0.11.
    const summary = { total: { costUsd: 0.014 }, allOpusCostUsd: 0.126, savingsUsd: 0.112 } as UsageSummary;
    expect(roundedSavings(summary, 2)).toEqual({ allOpusUsd: 0.13, spentUsd: 0.01, savedUsd: 0.12, savedPercent: 92 });
    expect(roundedSavings({ ...summary, total: { costUsd: 0 }, allOpusCostUsd: 0 } as UsageSummary, 2).savedPercent).toBeUndefined();
  });

  it('parses --since as a duration or a date', () => {
    const now = new Date('2026-11-24T12:00:00Z');
    expect(parseSince('7d', now)?.toISOString()).toBe('2026-11-17T12:00:00.000Z');
    expect(parseSince('12h', now)?.toISOString()).toBe('2026-11-24T00:00:00.000Z');
    expect(parseSince('2026-11-01', now)?.toISOString()).toBe('2026-11-01T00:00:00.000Z');
    expect(parseSince('lately', now)).toBeUndefined();
    expect(parseSince('2026-11-01T09:30Z', now)?.toISOString()).toBe('2026-11-01T09:30:00.000Z');
    // Date.parse reads these as dates in 2001 and 2020: `--since 7` counted every call.
    for (const loose of ['7', '1', 'Dec 5', 'foo 2020', '2026-13-45', '99999999999d']) expect(parseSince(loose, now)).toBeUndefined();
  });
});

describe('dollars for display', () => {
  it('shows cents from a cent up, 4 decimal places below, and never a real cost as zero', () => {
    expect(formatUsd(3)).toBe('$3.00');
    expect(formatUsd(0.0165)).toBe('$0.02');
    expect(formatUsd(0.00102)).toBe('$0.0010');
    expect(formatUsd(0)).toBe('$0.00');
    expect(formatUsd(0.00002)).toBe('<$0.0001');
  });

  it('picks one precision for amounts printed together: 4 places as soon as one is below a cent', () => {
    expect(usdDecimals([0.0165, 0.00102])).toBe(4);
    expect(usdDecimals([61.5, 4.306, 0])).toBe(2);
    expect(formatUsd(0.0165, usdDecimals([0.0165, 0.00102]))).toBe('$0.0165');
  });
});

describe('budget guard and caps', () => {
  it('stops when the daily budget is spent, counting only today', () => {
    const now = new Date();
    const yesterday = new Date(now.getTime() - 86_400_000 - 1000);
    appendUsage(record('claude-opus', 'security_review', 1_000_000, 0, yesterday.toISOString())); // $15, yesterday
    appendUsage(record('claude-opus', 'security_review', 200_000, 0, now.toISOString())); // $3 today
    const guarded = mergePolicy(policy, { budget: { dailyUsd: 3 } });
    expect(() => assertWithinBudget(guarded, now)).toThrow(
      new ConfigError('budget reached: $3.00 spent today of $3.00 daily (raise routing.budget in codectx.config.json or wait)'),
    );
    expect(() => assertWithinBudget(mergePolicy(policy, { budget: { dailyUsd: 3.5 } }), now)).not.toThrow();
  });

  it('treats a model at its spending cap, or recently rate limited, as limited', () => {
    const now = new Date();
    appendUsage(record('claude-opus', 'security_review', 400_000, 0, now.toISOString())); // $6
    const capped = mergePolicy(policy, { caps: { 'claude-opus': { dailyUsd: 5 }, 'qwen3-coder': { dailyUsd: 5 } } });
    expect(limitedModels(capped, now)).toEqual(new Map([['claude-opus', 'cap: $6.00 spent today of $5.00 daily']]));
    markLimited('kimi-k2', '429: slow down', now, 60_000);
    expect([...limitedModels(policy, now).keys()]).toEqual(['kimi-k2']);
    expect([...limitedModels(policy, new Date(now.getTime() + 61_000)).keys()]).toEqual([]);
  });

  it('reads a limits file of another shape as no marker, keeping the entries that are markers', () => {
    const now = new Date();
    for (const text of ['null', '[1, 2]', '"x"', '{"kimi-k2": null}', '{"kimi-k2": {"until": 5}}']) {
      writeFileSync(limitsPath(), text);
      expect(limitedModels(policy, now)).toEqual(new Map());
    }
    const until = new Date(now.getTime() + 60_000).toISOString();
    writeFileSync(limitsPath(), JSON.stringify({ 'kimi-k2': null, 'qwen3-coder': { until, reason: '429: slow down' } }));
    expect(limitedModels(policy, now)).toEqual(new Map([['qwen3-coder', '429: slow down']]));
    // The next 429 rewrites the file whole, dropping what was not a marker.
    markLimited('kimi-k2', '429: again', now, 60_000);
    expect([...limitedModels(policy, now).keys()]).toEqual(['qwen3-coder', 'kimi-k2']);
  });
});
