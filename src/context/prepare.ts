/**
 * Everything `route`, `context` and `ask` share before a model is called: read the project's settings, classify
 * the task, pre-search the codebase (when indexed), build and redact the prompt, and decide the route on the
 * prompt's real size.
 */
import { loadConfig } from '../config/config.js';
import type { EmbeddingProvider } from '../embed/types.js';
import { IndexStateError, UsageError, describeError } from '../errors.js';
import { redactSecrets, withRedactionsOf, type RedactionResult } from '../redact/redact.js';
import { estimatePromptTokens } from '../llm/tokens.js';
import { TaskClassifier, type Classification } from '../route/classify.js';
import { limitedModels } from '../route/limits.js';
import { resolveModelOverride } from '../route/overrides.js';
import { defaultPolicy, mergePolicy, type RoutingPolicy } from '../route/policy.js';
import { decideRoute, type RouteDecision } from '../route/router.js';
import { routingSettings, type ContextSettings } from '../route/settings.js';
import type { SearchOptions } from '../search/searcher.js';
import type { SearchResult } from '../search/types.js';
import { buildRedactedContext, type RedactedContextBlock } from './build.js';
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
  block?: RedactedContextBlock;
  /** Why there is no pre-search block, when there is none. */
  contextNote?: string;
  /** The prompt as it would be sent: secrets already redacted. */
  prompt: Prompt;
  redaction: RedactionResult;
  /** Set when the classifier ran on rules alone, with why. */
  rulesOnlyNote?: string;
}

/** What preparing a task needs from outside: a search of the codebase and the local model for the classifier. */
export interface TaskServices {
  /** Throws IndexStateError when the codebase has no usable index. */
  search(query: string, options: SearchOptions): Promise<SearchResult[]>;
  /** The offline model the classifier compares the task with its labelled examples on. */
  localEmbedder(): Promise<EmbeddingProvider>;
}

export async function prepareTask(options: PrepareOptions, services: TaskServices): Promise<PreparedTask> {
  if (options.task.trim() === '') throw new UsageError('the task is empty');
  const env = options.env ?? process.env;
  const { settings, policy, override, limited } = projectRouting(loadConfig(options.root).project, {
    flag: options.modelFlag,
    env: env.CODECTX_MODEL,
  });

  // Both wait for the model (one load when they share it): start them together. Neither may outlive this call
  // (the caller closes the services next), so a failure of one is thrown once the other has settled.
  const [{ classification, rulesOnlyNote }, search] = await bothSettled(
    classify(policy, options.task, options.rulesOnly ? undefined : services),
    options.skipContext ? Promise.resolve({ results: undefined, note: 'skipped with --no-context' }) : presearch(services, options.task),
  );

  // The routed model's window sets the pre-search budget, and the budget sets the prompt: route on the task first.
  const firstGuess = decideRoute(policy, { classification, promptTokens: estimatePromptTokens(options.task), override, limited });
  const window = policy.models[firstGuess.model]!.contextWindow;
  const budgetTokens =
    options.budgetTokens ?? settings.context.budgetTokens ?? Math.min(DEFAULT_BUDGET_CAP, Math.floor(window * BUDGET_SHARE_OF_WINDOW));
  const block = search.results
    ? await buildRedactedContext(options.task, search.results, {
        budgetTokens,
        countTokens: estimatePromptTokens,
        thresholds: { reuse: settings.context.reuseThreshold, extend: settings.context.extendThreshold },
      })
    : undefined;
  const contextNote = search.note;

  const built = buildPrompt(options.task, block, contextNote);
  // The block is redacted already (to fit its budget after redaction); this finds the secrets in the task.
  const promptRedaction = await redactSecrets(built.prompt);
  const redaction = block ? withRedactionsOf(promptRedaction, block.redaction) : promptRedaction;
  const prompt = { system: built.system, prompt: redaction.text };
  const promptTokens = estimatePromptTokens(prompt.system) + estimatePromptTokens(prompt.prompt);
  const decision = decideRoute(policy, { classification, promptTokens, override, limited });
  return { policy, contextSettings: settings.context, decision, block, contextNote, prompt, redaction, rulesOnlyNote };
}

/** A project's routing: its settings, the merged policy, the model override in force and models over their caps. */
export function projectRouting(project: Record<string, unknown>, overrides: { flag?: string; env?: string }) {
  const settings = routingSettings(project);
  const policy = mergePolicy(defaultPolicy(), settings.routing);
  const override = resolveModelOverride(policy, { ...overrides, config: settings.model });
  return { settings, policy, override, limited: limitedModels(policy) };
}

async function bothSettled<A, B>(a: Promise<A>, b: Promise<B>): Promise<[A, B]> {
  const [first, second] = await Promise.allSettled([a, b]);
  if (first.status === 'rejected') throw first.reason;
  if (second.status === 'rejected') throw second.reason;
  return [first.value, second.value];
}

/** Rules plus the examples' model on the local model; rules alone when asked, or when the model cannot load (said why). */
async function classify(
  policy: RoutingPolicy,
  task: string,
  services: TaskServices | undefined,
): Promise<{ classification: Classification; rulesOnlyNote?: string }> {
  const rulesOnly = async (rulesOnlyNote: string) => ({ classification: await new TaskClassifier(policy).classify(task), rulesOnlyNote });
  if (!services) return rulesOnly('rules only (--rules-only)');
  let embedder: EmbeddingProvider;
  try {
    embedder = await services.localEmbedder();
  } catch (error) {
    return rulesOnly(`rules only (local model unavailable: ${describeError(error)})`);
  }
  return { classification: await new TaskClassifier(policy, embedder).classify(task) };
}

/** Search results for the task, or why there are none (no index, or an index built with another model). */
async function presearch(services: TaskServices, task: string): Promise<{ results?: SearchResult[]; note?: string }> {
  try {
    return { results: await services.search(task, { limit: SEARCH_LIMIT, definitionText: true }) };
  } catch (error) {
    if (!(error instanceof IndexStateError)) throw error;
    return { results: undefined, note: `no usable index: ${describeError(error)}` };
  }
}
