/**
 * One routed model call: the decided model first, then its fallback chain when a model answers with a rate
 * limit, quota or server error, or with no readable answer, after bounded retries. A model that cannot be called
 * here at all (its API key is not set, its CLI is not installed) is skipped with a note, so the chain goes on to
 * one that can. A 429 marks the model as limited for later runs. The call that answers is appended to the usage
 * ledger, and so is one that broke off mid-answer (billed all the same), flagged incomplete; failed calls are not.
 */
import { CodectxError, ConfigError, ProviderError } from '../errors.js';
import { callCostUsd } from '../route/cost.js';
import { appendUsage, type UsageRecord } from '../route/ledger.js';
import { markLimited } from '../route/limits.js';
import type { RoutingPolicy } from '../route/policy.js';
import type { RouteDecision } from '../route/router.js';
import { createModelProvider } from './index.js';
import { DEFAULT_RETRY, withRetries, type RetryOptions } from './retry.js';
import { PartialAnswerError, type CompletionResult } from './types.js';

export interface RoutedCallOptions {
  policy: RoutingPolicy;
  decision: Pick<RouteDecision, 'category' | 'model' | 'fallbacks' | 'expectedOutputTokens'>;
  system: string;
  prompt: string;
  onToken?: (text: string) => void;
  /** Told when a model fails and the next one in the chain is tried. */
  onFallback?: (from: string, to: string, error: ProviderError) => void;
  /** Told when a model is skipped because it cannot be called here (missing key or CLI); `to` is tried next. */
  onSkip?: (model: string, to: string, error: ConfigError) => void;
  /**
   * Told when the ledger or the limits file cannot be written: the answer is out already, or another model may
   * answer. Without it, that is thrown.
   */
  onRecordError?: (error: CodectxError) => void;
  /** Ctrl-C: the model answering stops, and no other is tried. */
  signal?: AbortSignal;
  retry?: RetryOptions;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

export interface RoutedCallResult extends CompletionResult {
  model: string;
  usage: UsageRecord;
}

/** For HTTP endpoints: until the answer starts streaming (a 1M-token prompt takes a while); for the CLI: the whole run. */
const DEFAULT_TIMEOUT_MS = 10 * 60_000;

export async function routedCall(options: RoutedCallOptions): Promise<RoutedCallResult> {
  const { policy, decision } = options;
  const chain = [decision.model, ...decision.fallbacks];
  /** One line per model that did not answer, for the error when none does. */
  const failures: string[] = [];
  for (let i = 0; i < chain.length; i++) {
    const model = chain[i]!;
    const next = chain[i + 1];
    const entry = policy.models[model]!;
    const started = Date.now();
    let result: CompletionResult;
    try {
      const provider = createModelProvider(entry, { timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS, env: options.env });
      result = await withRetries(
        () => provider.complete(
          { model: entry.apiModel, system: options.system, prompt: options.prompt },
          { onToken: options.onToken, signal: options.signal },
        ),
        options.retry ?? DEFAULT_RETRY,
      );
    } catch (error) {
      if (error instanceof PartialAnswerError) {
        recorded(options, () => appendUsage(usageRecord(options, model, error.partial, started, { incomplete: true })));
        throw error;
      }
      const cannotCall = error instanceof ConfigError;
      if (options.signal?.aborted || (!cannotCall && !(error instanceof ProviderError && error.retryable))) throw error;
      if (error instanceof ProviderError && error.status === 429) recorded(options, () => markLimited(model, `429: ${error.message}`));
      failures.push(`${model}: ${error.message}`);
      if (!next) throw chainExhausted(model, error, failures);
      if (cannotCall) options.onSkip?.(model, next, error);
      else options.onFallback?.(model, next, error);
      continue;
    }
    const usage = usageRecord(options, model, result, started);
    recorded(options, () => appendUsage(usage));
    return { ...result, model, usage };
  }
  throw new ProviderError('no model to call', false);
}

/** Writes down the call or a model's limit: a failed write must not fail an answer already shown, nor end the chain. */
function recorded(options: RoutedCallOptions, write: () => void): void {
  try {
    write();
  } catch (error) {
    if (!options.onRecordError || !(error instanceof CodectxError)) throw error;
    options.onRecordError(error);
  }
}

/** The ledger line for a call of `model` that answered, in full or (with `incomplete`) broken off. */
function usageRecord(
  { policy, decision }: RoutedCallOptions,
  model: string,
  result: CompletionResult,
  started: number,
  extra: Pick<UsageRecord, 'incomplete'> = {},
): UsageRecord {
  return {
    time: new Date().toISOString(),
    category: decision.category,
    model,
    inputTokens: result.inputTokens,
    outputTokens: result.outputTokens,
    tokensEstimated: result.tokensEstimated,
    costUsd: callCostUsd(policy.models[model]!, result.inputTokens, result.outputTokens),
    latencyMs: Date.now() - started,
    ...(model !== decision.model ? { fallbackFrom: decision.model } : {}),
    ...extra,
  };
}

/** The last model's error, naming what happened to every model tried before it. */
function chainExhausted(model: string, last: ConfigError | ProviderError, failures: string[]): Error {
  if (failures.length === 1) {
    return last instanceof ConfigError
      ? last
      : new ProviderError(`${model} failed and no fallback is left: ${last.message}`, false, last.status, { cause: last });
  }
  const message = `no model in the chain answered: ${failures.join('; ')}`;
  return last instanceof ConfigError
    ? new ConfigError(message, 1, { cause: last })
    : new ProviderError(message, false, last.status, { cause: last });
}
