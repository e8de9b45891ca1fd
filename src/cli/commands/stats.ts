import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { formatUsd, usdDecimals } from '../../route/cost.js';
import { ledgerPath, readLedger } from '../../route/ledger.js';
import { defaultPolicy } from '../../route/policy.js';
import { parseSince, roundedSavings, summarizeUsage, type UsageTotals } from '../../route/stats.js';
import { count, printable } from '../../text.js';

interface StatsFlags {
  since?: string;
  json?: boolean;
}

export function registerStatsCommand(program: Command): void {
  program
    .command('stats')
    .description('model usage from the ledger: calls, tokens and cost per model and category, and savings vs all-Opus')
    .option('--since <when>', 'only calls since a duration ago (7d, 12h, 30m) or a date (2026-11-01)')
    .option('--json', 'print JSON')
    .action((flags: StatsFlags) => {
      const since = flags.since === undefined ? undefined : parseSince(flags.since);
      if (flags.since !== undefined && !since) {
        throw new UsageError(`--since must be a duration like 7d, 12h, 30m or a date like 2026-11-01, got '${flags.since}'`);
      }
      // Savings are priced at the shipped Opus rates so figures compare across projects.
      const { records, malformed } = readLedger(since);
      if (malformed > 0) console.error(`codectx: skipped ${count(malformed, 'malformed line')} of ${ledgerPath()}`);
      const summary = summarizeUsage(records, defaultPolicy().models['claude-opus']!);
      if (flags.json) {
        console.log(JSON.stringify({ since: since?.toISOString() ?? null, ...summary }, null, 2));
        return;
      }
      if (summary.total.calls === 0) {
        console.log(`no model calls recorded${since ? ` since ${since.toISOString()}` : ''} (${ledgerPath()})`);
        return;
      }
      // Every dollar figure of the report to the same places, so the columns and the savings line add up as shown.
      const perDay = (usd: number) => usd / summary.days;
      const { total, allOpusCostUsd } = summary;
      const decimals = usdDecimals([
        ...Object.values(summary.byModel).map((t) => t.costUsd),
        ...Object.values(summary.byCategory).map((t) => t.costUsd),
        total.costUsd,
        allOpusCostUsd,
        perDay(total.costUsd),
        perDay(allOpusCostUsd),
      ]);
      const usd = (amount: number) => formatUsd(amount, decimals);
      printTable('model', summary.byModel, usd);
      console.log('');
      printTable('category', summary.byCategory, usd);
      console.log('');
      const savings = roundedSavings(summary, decimals);
      const incomplete = summary.incomplete > 0 ? `; ${summary.incomplete} broken off mid-answer` : '';
      console.log(`total        ${count(total.calls, 'call')}, ${usd(savings.spentUsd)} (${usd(perDay(total.costUsd))}/day over ${count(summary.days, 'day')}); ${summary.fallbacks} answered by a fallback${incomplete}`);
      console.log(`all-Opus     ${usd(savings.allOpusUsd)} (${usd(perDay(allOpusCostUsd))}/day) for the same tokens`);
      const share = savings.savedPercent === undefined ? '' : ` (${savings.savedPercent}%)`;
      console.log(`saved        ${usd(savings.savedUsd)}${share}`);
    });
}

function printTable(label: string, rows: Record<string, UsageTotals>, usd: (amount: number) => string): void {
  console.log(`${label.padEnd(24)} ${'calls'.padStart(6)} ${'in tokens'.padStart(12)} ${'out tokens'.padStart(12)} ${'cost'.padStart(12)}`);
  for (const [name, t] of Object.entries(rows).sort((a, b) => b[1].costUsd - a[1].costUsd)) {
    // Model and category names come from codectx.config.json, which a cloned repository writes: escaped.
    console.log(`${printable(name).padEnd(24)} ${String(t.calls).padStart(6)} ${String(t.inputTokens).padStart(12)} ${String(t.outputTokens).padStart(12)} ${usd(t.costUsd).padStart(12)}`);
  }
}
