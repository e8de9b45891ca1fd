import type { ModelEntry, PriceTier } from './policy.js';

/** The price tier a call falls in: tiered models (Qwen3-Coder) charge by prompt size for the whole call. */
export function priceTier(model: ModelEntry, promptTokens: number): PriceTier {
  const tier = model.pricing.find((t) => t.upToPromptTokens === undefined || promptTokens <= t.upToPromptTokens);
  return tier ?? model.pricing[model.pricing.length - 1]!;
}

/** Cost in USD of one call with the given token counts. */
export function callCostUsd(model: ModelEntry, inputTokens: number, outputTokens: number): number {
  const tier = priceTier(model, inputTokens);
  return (inputTokens * tier.inputPerMTok + outputTokens * tier.outputPerMTok) / 1_000_000;
}

/**
 * Decimal places that show every amount of a group printed together: 4 when one of them is below a cent (cheap
 * models cost fractions of one), else cents. One choice per group, so figures shown side by side round alike.
 */
export function usdDecimals(amounts: number[]): number {
  return amounts.some((amount) => amount !== 0 && Math.abs(amount) < 0.01) ? 4 : 2;
}

/** `amount` rounded to `decimals` places, through whole units so sums of rounded figures stay exact. */
export function roundUsd(amount: number, decimals: number): number {
  const unit = 10 ** decimals;
  return Math.round(amount * unit) / unit;
}

/** Dollars for display, to `decimals` places (by default those usdDecimals picks for this amount alone). */
export function formatUsd(amount: number, decimals = usdDecimals([amount])): string {
  const rounded = roundUsd(amount, decimals);
  // A real cost that rounds to nothing is still a cost.
  if (amount !== 0 && rounded === 0) return `<$${(10 ** -decimals).toFixed(decimals)}`;
  return `$${rounded.toFixed(decimals)}`;
}
