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

/** Dollars for display: cents for normal sums, more digits for the sub-cent costs of cheap models. */
export function formatUsd(amount: number): string {
  if (amount !== 0 && Math.abs(amount) < 0.01) return `$${amount.toFixed(5)}`;
  return `$${amount.toFixed(2)}`;
}
