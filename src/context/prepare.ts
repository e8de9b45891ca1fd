/**
 * Everything `route`, `context` and `ask` share before a model is called: read the project's settings, classify
 * the task, pre-search the codebase (when indexed), build and redact the prompt, and decide the route on the
 * prompt's real size.
 */
import { loadConfig } from '../config/config.js';
import { createEmbeddingProvider } from '../embed/index.js';
import type { EmbeddingProvider } from '../embed/types.js';
import { IndexStateError, UsageError, describeError } from '../errors.js';
import { redactSecrets, type RedactionResult } from '../providers/redact.js';
import { estimateTokens } from '../providers/tokens.js';
import { TaskClassifier } from '../route/classify.js';
import { limitedModels } from '../route/limits.js';
import { resolveModelOverride } from '../route/overrides.js';
import { defaultPolicy, mergePolicy, type RoutingPolicy } from '../route/policy.js';
import { decideRoute, type RouteDecision } from '../route/router.js';
import { routingSettings, type ContextSettings } from '../route/settings.js';
import { searchCodebase } from '../search/service.js';
import { buildContext, type ContextBlock } from './build.js';
import { buildPrompt, type Prompt } from './prompt.js';

/** Pre-search gets this share of the routed model's window, up to DEFAULT_BUDGET_CAP tokens. */
const BUDGET_SHARE_OF_WINDOW = 0.05;
const DEFAULT_BUDGET_CAP = 8000;
/** Search results considered before trimming to the budget. */
const SEARCH_LIMIT = 20;

export interface PrepareOptions {
  root: string;
  task: string;
  modelFlag?: string;
  budgetTokens?: number;
  /** --no-context: send the task alone. */
  skipContext?: boolean;
  /** Classify with rules only (no embedding model load). */
  rulesOnly?: boolean;
  env?: NodeJS.ProcessEnv;
}

export interface PreparedTask {
  policy: RoutingPolicy;
  contextSettings: ContextSettings;
  decision: RouteDecision;
  block?: ContextBlock;
  /** Why there is no pre-search block, when there is none. */
  contextNote?: string;
  /** The prompt as it would be sent: secrets already redacted. */
  prompt: Prompt;
  redaction: RedactionResult;
  /** Set when the classifier ran on rules alone, with why. */
  rulesOnlyNote?: string;
}

export async function prepareTask(options: PrepareOptions): Promise<PreparedTask> {
  if (options.task.trim() === '') throw new UsageError('the task is empty');
  const env = options.env ?? process.env;
  const settings = routingSettings(loadConfig(options.root).project);
  const policy = mergePolicy(defaultPolicy(), settings.routing);
  const override = resolveModelOverride(policy, { flag: options.modelFlag, env: env.CODECTX_MODEL, config: settings.model });

  const { embedder, note: rulesOnlyNote } = options.rulesOnly
    ? { embedder: undefined, note: 'rules only (--rules-only)' }
    : await localEmbedder();
  let classification;
  try {
    classification = await new TaskClassifier(policy, embedder).classify(options.task);
  } finally {
    await embedder?.close();
  }
  const limited = limitedModels(policy);

  // The window decides the pre-search budget, and the budget decides the prompt: route on the task first.
  const firstGuess = decideRoute(policy, { classification, promptTokens: estimateTokens(options.task), override, limited });
  const window = policy.models[firstGuess.model]!.contextWindow;
  const budgetTokens =
    options.budgetTokens ?? settings.context.budgetTokens ?? Math.min(DEFAULT_BUDGET_CAP, Math.floor(window * BUDGET_SHARE_OF_WINDOW));

  let block: ContextBlock | undefined;
  let contextNote: string | undefined;
  if (options.skipContext) {
    contextNote = 'skipped with --no-context';
  } else {
    try {
      const results = await searchCodebase(options.root, options.task, { limit: SEARCH_LIMIT });
      block = buildContext(options.task, results, {
        budgetTokens,
        countTokens: estimateTokens,
        thresholds: { reuse: settings.context.reuseThreshold, extend: settings.context.extendThreshold },
      });
    } catch (error) {
      if (!(error instanceof IndexStateError)) throw error;
      contextNote = `no usable index: ${describeError(error)}`;
    }
  }

  const built = buildPrompt(options.task, block, contextNote);
  const redaction = redactSecrets(built.prompt);
  const prompt = { system: built.system, prompt: redaction.text };
  const promptTokens = estimateTokens(prompt.system) + estimateTokens(prompt.prompt);
  const decision = decideRoute(policy, { classification, promptTokens, override, limited });
  return { policy, contextSettings: settings.context, decision, block, contextNote, prompt, redaction, rulesOnlyNote };
}

/** The local model for nearest-example classification; when it cannot load, classify on rules and say why. */
async function localEmbedder(): Promise<{ embedder?: EmbeddingProvider; note?: string }> {
  try {
    return { embedder: await createEmbeddingProvider({ provider: 'local' }) };
  } catch (error) {
    return { note: `rules only (local model unavailable: ${describeError(error)})` };
  }
}
