/**
 * The parts of codectx.config.json routing and pre-search own: `model`, `routing` and `context`. loadConfig
 * hands them over unparsed (CodectxConfig.project); this checks their shapes with readable errors.
 */
import { ConfigError } from '../errors.js';
import type { RoutingOverrides } from './policy.js';

export interface ContextSettings {
  reuseThreshold: number;
  extendThreshold: number;
  /** Fixed pre-search budget in tokens; absent means a share of the routed model's window. */
  budgetTokens?: number;
}

export interface RoutingSettings {
  model?: string;
  routing?: RoutingOverrides;
  context: ContextSettings;
}

/**
 * Dense cosine similarity (local MiniLM, int8) of a task description to the closest chunk. Measured on the
 * fixture repo (test/context.calibration.test.ts): a task describing an existing function scores 0.53-0.77, a
 * task next to existing code (a pie chart beside the bar chart) 0.29-0.43, an unrelated task 0.02-0.21.
 */
export const DEFAULT_CONTEXT: ContextSettings = { reuseThreshold: 0.5, extendThreshold: 0.25 };

export function routingSettings(project: Record<string, unknown>): RoutingSettings {
  const settings: RoutingSettings = { context: { ...DEFAULT_CONTEXT } };
  if (project.model !== undefined) {
    if (typeof project.model !== 'string') throw new ConfigError('"model" in codectx.config.json must be a string');
    settings.model = project.model;
  }
  if (project.routing !== undefined) settings.routing = routingOverrides(objectAt(project.routing, 'routing'));
  if (project.context !== undefined) {
    const context = objectAt(project.context, 'context');
    for (const key of ['reuseThreshold', 'extendThreshold'] as const) {
      if (context[key] === undefined) continue;
      const value = context[key];
      if (typeof value !== 'number' || value < -1 || value > 1) {
        throw new ConfigError(`"context.${key}" in codectx.config.json must be a similarity between -1 and 1`);
      }
      settings.context[key] = value;
    }
    if (context.budgetTokens !== undefined) {
      if (typeof context.budgetTokens !== 'number' || !(context.budgetTokens > 0)) {
        throw new ConfigError('"context.budgetTokens" in codectx.config.json must be a positive number');
      }
      settings.context.budgetTokens = context.budgetTokens;
    }
  }
  if (settings.context.extendThreshold > settings.context.reuseThreshold) {
    throw new ConfigError('"context.extendThreshold" must not be above "context.reuseThreshold"');
  }
  return settings;
}

const LIST_KEYS = ['categories', 'contextFitOrder', 'rules', 'examples', 'replace'] as const;
const MAP_KEYS = ['routes', 'fallbacks', 'expectedOutputTokens', 'models', 'budget', 'caps'] as const;

/** Shape checks only; names and values are checked when the policy is merged (mergePolicy). */
function routingOverrides(routing: Record<string, unknown>): RoutingOverrides {
  for (const key of LIST_KEYS) {
    if (routing[key] !== undefined && !Array.isArray(routing[key])) {
      throw new ConfigError(`"routing.${key}" in codectx.config.json must be a list`);
    }
  }
  for (const key of MAP_KEYS) if (routing[key] !== undefined) objectAt(routing[key], `routing.${key}`);
  const rules = (routing.rules ?? []) as unknown[];
  for (const rule of rules) {
    const r = rule as { category?: unknown; weight?: unknown; terms?: unknown };
    if (typeof r?.category !== 'string' || typeof r.weight !== 'number' || !Array.isArray(r.terms)) {
      throw new ConfigError('each of "routing.rules" needs a category, a numeric weight and a list of terms');
    }
  }
  for (const example of (routing.examples ?? []) as unknown[]) {
    const e = example as { category?: unknown; task?: unknown };
    if (typeof e?.category !== 'string' || typeof e.task !== 'string') {
      throw new ConfigError('each of "routing.examples" needs a category and a task');
    }
  }
  return routing as RoutingOverrides;
}

function objectAt(value: unknown, key: string): Record<string, unknown> {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  throw new ConfigError(`"${key}" in codectx.config.json must be an object`);
}
