/**
 * The sections of codectx.config.json that later stages own: `routing` (overrides of the routing policy),
 * `context` (pre-search) and `hook` (the prompt hook). Their shapes are checked with the rest of the file when it
 * is read, so a wrong type stops `index` as well as `ask`; the names they use (categories, models) are checked
 * when the routing policy is merged.
 */
import { z } from 'zod';

export const envVarName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be the name of an environment variable (the key itself never goes in this file)');

const priceTier = z.strictObject({
  /** The tier applies while the prompt has at most this many tokens; absent on the last tier. */
  upToPromptTokens: z.int().positive().optional(),
  inputPerMTok: z.number().nonnegative(),
  outputPerMTok: z.number().nonnegative(),
});

/** A catalog entry, whole for a new model or in part to re-point one (it merges field by field). */
const modelEntry = z.strictObject({
  provider: z.enum(['openai-compatible', 'claude-cli']).optional(),
  apiModel: z.string().min(1).optional(),
  baseURL: z.url().optional(),
  /** null: the server needs no key (a local Ollama), where the default entry names one. */
  apiKeyEnv: envVarName.nullable().optional(),
  contextWindow: z.int().positive().optional(),
  pricing: z.array(priceTier).min(1).optional(),
  tokensPerSecond: z.number().positive().optional(),
  aliases: z.array(z.string().min(1)).optional(),
});

const budget = z.strictObject({
  dailyUsd: z.number().nonnegative().optional(),
  monthlyUsd: z.number().nonnegative().optional(),
});

export const routingSection = z.strictObject({
  categories: z.array(z.string().min(1)).optional(),
  defaultCategory: z.string().min(1).optional(),
  precedence: z.array(z.string().min(1)).optional(),
  routes: z.record(z.string(), z.string().min(1)).optional(),
  fallbacks: z.record(z.string(), z.string().min(1)).optional(),
  contextFitOrder: z.array(z.string().min(1)).optional(),
  expectedOutputTokens: z.record(z.string(), z.int().positive()).optional(),
  models: z.record(z.string(), modelEntry).optional(),
  rules: z.array(z.strictObject({ category: z.string(), weight: z.number(), terms: z.array(z.string()) })).optional(),
  examples: z.array(z.strictObject({ category: z.string(), task: z.string() })).optional(),
  budget: budget.optional(),
  caps: z.record(z.string(), budget).optional(),
  replace: z.array(z.enum(['rules', 'examples'])).optional(),
});

export type RoutingSection = z.infer<typeof routingSection>;

/**
 * Dense cosine similarity (local MiniLM, int8) of a task description to the closest chunk. Measured on the
 * fixture repo (test/context.calibration.test.ts): a task describing an existing function scores 0.53-0.77, a
 * task next to existing code (a pie chart beside the bar chart) 0.29-0.43, an unrelated task 0.02-0.21.
 */
export const DEFAULT_CONTEXT = { reuseThreshold: 0.5, extendThreshold: 0.25 } as const;

const similarity = z.number().min(-1).max(1);

export const contextSection = z
  .strictObject({
    reuseThreshold: similarity.optional(),
    extendThreshold: similarity.optional(),
    /** Fixed pre-search budget in tokens; absent means a share of the routed model's window. */
    budgetTokens: z.number().positive().optional(),
  })
  .superRefine((context, check) => {
    const value = (key: keyof typeof DEFAULT_CONTEXT) => (context[key] === undefined ? `${DEFAULT_CONTEXT[key]} by default` : `${context[key]}`);
    const extend = context.extendThreshold ?? DEFAULT_CONTEXT.extendThreshold;
    const reuse = context.reuseThreshold ?? DEFAULT_CONTEXT.reuseThreshold;
    if (extend <= reuse) return;
    // The values in force, set or defaulted: a message showing the defaults when both were set misled (QA round 4).
    check.addIssue({
      code: 'custom',
      path: ['extendThreshold'],
      message: `must not be above "context.reuseThreshold" (extendThreshold ${value('extendThreshold')}, reuseThreshold ${value('reuseThreshold')})`,
    });
  });

export const hookSection = z.strictObject({
  /** Pre-search budget of the prompt hook, in tokens. */
  budget: z.number().positive().optional(),
});
