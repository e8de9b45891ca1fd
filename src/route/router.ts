/**
 * The routing decision: category → model, then the model at its limit falls back along its chain, then a prompt
 * too big for the window moves to a model whose window fits. Pure: the caller supplies the classification,
 * the prompt size and which models are limited, so every step is testable and explained in `reason`.
 */
import { callCostUsd } from './cost.js';
import type { Classification } from './classify.js';
import type { ModelOverride } from './overrides.js';
import { fallbackChain, type RoutingPolicy } from './policy.js';

export interface RouteDecision {
  category: string;
  confidence: number;
  model: string;
  reason: string;
  promptTokens: number;
  expectedOutputTokens: number;
  contextFits: boolean;
  estimatedCostUsd: number;
  /** Models tried in order if `model` fails with a rate limit or quota error. */
  fallbacks: string[];
  /** Why the routed model was passed over for `model` (at its limit, too small a window), step by step; also in `reason`. */
  passedOver: string[];
}

export interface RouteInput {
  classification: Classification;
  promptTokens: number;
  override?: ModelOverride;
  /** Models at their limit now, with why (see limits.ts). */
  limited?: Map<string, string>;
}

export function decideRoute(policy: RoutingPolicy, input: RouteInput): RouteDecision {
  const { classification, promptTokens, override } = input;
  const limited = input.limited ?? new Map<string, string>();
  const category = classification.category;
  const expectedOutputTokens = policy.expectedOutputTokens[category] ?? 1000;
  const needed = promptTokens + expectedOutputTokens;
  // Both parts named: a small prompt with a long expected answer must not read as a prompt too big.
  const counted = formatNeeded(promptTokens, expectedOutputTokens);
  const reasons = [`${category} (${classification.reason || 'no evidence'})`];
  const passedOver: string[] = [];
  const passOver = (step: string) => {
    passedOver.push(step);
    reasons.push(step);
  };
  const window = (name: string) => policy.models[name]!.contextWindow;

  let model: string;
  if (override) {
    model = override.model;
    reasons.push(`model from ${override.source}`);
  } else {
    model = policy.routes[category]!;
    for (const next of fallbackChain(policy, model)) {
      if (!limited.has(model)) break;
      passOver(`${model} at its limit (${limited.get(model)}) → ${next}`);
      model = next;
    }
  }

  let contextFits = needed <= window(model);
  if (!contextFits && override) {
    reasons.push(`${counted} exceed ${model}'s ${formatWindow(window(model))} window; kept because of ${override.source}`);
  } else if (!contextFits) {
    const bigger = policy.contextFitOrder.find(
      (name) => window(name) > window(model) && window(name) >= needed && !limited.has(name),
    );
    if (bigger) {
      passOver(`${counted} exceed ${model}'s ${formatWindow(window(model))} window → ${bigger} (${formatWindow(window(bigger))})`);
      model = bigger;
      contextFits = true;
    } else {
      reasons.push(`${counted} exceed every available model's window`);
    }
  }

  const fallbacks = fallbackChain(policy, model).filter((name) => !limited.has(name) && window(name) >= needed);
  return {
    category,
    confidence: classification.confidence,
    model,
    reason: reasons.join('; '),
    promptTokens,
    expectedOutputTokens,
    contextFits,
    estimatedCostUsd: callCostUsd(policy.models[model]!, promptTokens, expectedOutputTokens),
    fallbacks,
    passedOver,
  };
}

/** What a context window must hold, counted: "18000 tokens (prompt 10000 + expected output 8000)". */
export function formatNeeded(promptTokens: number, expectedOutputTokens: number): string {
  return `${promptTokens + expectedOutputTokens} tokens (prompt ${promptTokens} + expected output ${expectedOutputTokens})`;
}

export function formatWindow(tokens: number): string {
  if (tokens >= 1_000_000) return `${Math.round(tokens / 1_000_000)}M`;
  // 131072 is "128K" but 200000 is "200K": use whichever unit divides evenly.
  const unit = tokens % 1000 !== 0 && tokens % 1024 === 0 ? 1024 : 1000;
  return `${Math.round(tokens / unit)}K`;
}
