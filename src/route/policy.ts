/**
 * The routing policy: categories, classifier rules and examples, the model catalog, routes and fallback chains.
 * Defaults ship as policy.default.json (imported, so tsc copies it next to the compiled module in dist/);
 * a project overrides it with the `routing` key of codectx.config.json (see mergePolicy).
 */
import defaultPolicyJson from './policy.default.json' with { type: 'json' };
import type { RoutingSection } from '../config/sections.js';
import { ConfigError } from '../errors.js';

export interface PriceTier {
  /** This tier applies while the prompt has at most this many tokens; absent on the last tier. */
  upToPromptTokens?: number;
  inputPerMTok: number;
  outputPerMTok: number;
}

export interface ModelEntry {
  provider: 'openai-compatible' | 'claude-cli';
  /** Model id sent to the endpoint (or the `--model` value for the claude CLI). */
  apiModel: string;
  baseURL?: string;
  /** Name of the environment variable holding the key (keys are only ever read from the environment); null or absent: none. */
  apiKeyEnv?: string | null;
  contextWindow: number;
  pricing: PriceTier[];
  tokensPerSecond: number;
  aliases?: string[];
}

export interface Rule {
  category: string;
  weight: number;
  /** Case-insensitive words or phrases on word boundaries; a trailing `*` matches any word ending. */
  terms: string[];
}

export interface LabelledExample {
  category: string;
  task: string;
}

export interface Budget {
  dailyUsd?: number;
  monthlyUsd?: number;
}

export interface RoutingPolicy {
  categories: string[];
  defaultCategory: string;
  /**
   * Categories whose rules, once they reach PRECEDENCE_WEIGHT, decide alone, first listed first: a task about a
   * vulnerability goes to security review even when it also mentions a comment or a regex (DEFINITIONS.md's overlaps).
   */
  precedence?: string[];
  routes: Record<string, string>;
  fallbacks: Record<string, string>;
  contextFitOrder: string[];
  expectedOutputTokens: Record<string, number>;
  models: Record<string, ModelEntry>;
  rules: Rule[];
  examples: LabelledExample[];
  /** Spending limit over all models, computed from the usage ledger. */
  budget?: Budget;
  /** Per-model spending caps: a model at its cap is treated like one that answered 429. */
  caps?: Record<string, Budget>;
}

/** The `routing` key of codectx.config.json (shape checked when read). Lists extend the defaults unless named in `replace`. */
export type RoutingOverrides = RoutingSection;

export function defaultPolicy(): RoutingPolicy {
  const { $comment: _comment, ...policy } = defaultPolicyJson;
  return validatePolicy(structuredClone(policy) as RoutingPolicy);
}

/** Applies a project's overrides: rules and examples extend (or replace), maps merge key by key. */
export function mergePolicy(base: RoutingPolicy, overrides: RoutingOverrides | undefined): RoutingPolicy {
  if (!overrides) return base;
  const replace = new Set(overrides.replace ?? []);
  const models: Record<string, ModelEntry> = { ...base.models };
  for (const [name, entry] of Object.entries(overrides.models ?? {})) {
    models[name] = { ...models[name], ...entry } as ModelEntry;
  }
  // Routes, chains and caps may name models by alias ("opus"); store catalog names.
  const canonical = (name: string) => findModel({ models } as RoutingPolicy, name) ?? name;
  const canonicalValues = (map: Record<string, string> | undefined) =>
    Object.fromEntries(Object.entries(map ?? {}).map(([key, name]) => [key, canonical(name)]));
  const canonicalKeys = <T>(map: Record<string, T> | undefined) =>
    Object.fromEntries(Object.entries(map ?? {}).map(([name, value]) => [canonical(name), value]));
  const merged: RoutingPolicy = {
    categories: overrides.categories ?? base.categories,
    defaultCategory: overrides.defaultCategory ?? base.defaultCategory,
    precedence: overrides.precedence ?? base.precedence,
    routes: { ...base.routes, ...canonicalValues(overrides.routes) },
    fallbacks: { ...base.fallbacks, ...canonicalKeys(canonicalValues(overrides.fallbacks)) },
    contextFitOrder: overrides.contextFitOrder?.map(canonical) ?? base.contextFitOrder,
    expectedOutputTokens: { ...base.expectedOutputTokens, ...overrides.expectedOutputTokens },
    models,
    rules: replace.has('rules') ? (overrides.rules ?? []) : [...base.rules, ...(overrides.rules ?? [])],
    examples: replace.has('examples') ? (overrides.examples ?? []) : [...base.examples, ...(overrides.examples ?? [])],
    budget: overrides.budget ?? base.budget,
    caps: { ...base.caps, ...canonicalKeys(overrides.caps) },
  };
  return validatePolicy(merged);
}

/** Catches policy mistakes at load time, with the offending name, instead of as odd routing later. */
function validatePolicy(policy: RoutingPolicy): RoutingPolicy {
  const categories = new Set(policy.categories);
  const checkCategory = (category: string, where: string) => {
    if (!categories.has(category)) throw new ConfigError(`routing policy: unknown category '${category}' in ${where}`);
  };
  const checkModel = (model: string, where: string) => {
    if (!policy.models[model]) throw new ConfigError(`routing policy: unknown model '${model}' in ${where}`);
  };
  checkCategory(policy.defaultCategory, 'defaultCategory');
  for (const category of policy.precedence ?? []) checkCategory(category, 'precedence');
  for (const category of policy.categories) {
    const model = policy.routes[category];
    if (!model) throw new ConfigError(`routing policy: no route for category '${category}'`);
    checkModel(model, `routes.${category}`);
  }
  for (const [from, to] of Object.entries(policy.fallbacks)) {
    checkModel(from, 'fallbacks');
    checkModel(to, `fallbacks.${from}`);
  }
  for (const model of policy.contextFitOrder) checkModel(model, 'contextFitOrder');
  for (const rule of policy.rules) {
    checkCategory(rule.category, 'rules');
    // No terms, or an empty term, compile to a pattern matching every task: one such rule would decide every route.
    if (rule.terms.length === 0 || rule.terms.some((term) => term.replace('*', '').trim() === '')) {
      throw new ConfigError(`routing policy: a rule for '${rule.category}' has no terms or an empty term`);
    }
  }
  for (const example of policy.examples) checkCategory(example.category, 'examples');
  for (const [name, entry] of Object.entries(policy.models)) {
    if (entry.provider !== 'openai-compatible' && entry.provider !== 'claude-cli') {
      throw new ConfigError(`routing policy: model '${name}' has unknown provider '${String(entry.provider)}'`);
    }
    if (!entry.apiModel || !(entry.contextWindow > 0) || !entry.pricing?.length) {
      throw new ConfigError(`routing policy: model '${name}' needs apiModel, contextWindow and pricing`);
    }
    if (entry.provider === 'openai-compatible' && !entry.baseURL) {
      throw new ConfigError(`routing policy: model '${name}' needs a baseURL`);
    }
  }
  return policy;
}

/** Resolves a model name or alias ("opus") to its catalog name, or undefined. */
export function findModel(policy: RoutingPolicy, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [modelName, entry] of Object.entries(policy.models)) {
    if (modelName.toLowerCase() === wanted || entry.aliases?.some((alias) => alias.toLowerCase() === wanted)) {
      return modelName;
    }
  }
  return undefined;
}

/** The model's fallback chain, without cycles: e.g. kimi-k2 → [qwen3-coder, claude-sonnet]. */
export function fallbackChain(policy: RoutingPolicy, model: string): string[] {
  const chain: string[] = [];
  const seen = new Set([model]);
  for (let next = policy.fallbacks[model]; next && !seen.has(next); next = policy.fallbacks[next]) {
    chain.push(next);
    seen.add(next);
  }
  return chain;
}
