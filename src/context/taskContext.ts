import type { CodectxConfig } from '../config/config.js';
import { buildRedactedContext, type RedactedContextBlock } from './build.js';
import { estimatePromptTokens } from '../llm/tokens.js';
import { routingSettings } from '../route/settings.js';
import type { SearchOptions } from '../search/searcher.js';
import type { SearchResult } from '../search/types.js';

/** Results pre-search ranks before the budget trims them: more than fit, so the budget keeps the best. */
const CONTEXT_RESULTS = 12;

/**
 * The pre-search block for a task: the code to reuse or extend, within `budgetTokens` once its secrets are
 * redacted, with its verdict.
 * `query` is what is searched for when it should differ from the task shown (a long prompt's start).
 */
export async function taskContext(
  config: CodectxConfig,
  task: string,
  budgetTokens: number,
  search: (query: string, options: SearchOptions) => Promise<SearchResult[]>,
  query = task,
): Promise<RedactedContextBlock> {
  const { context } = routingSettings(config.project);
  return buildRedactedContext(task, await search(query, { limit: CONTEXT_RESULTS, definitionText: true }), {
    budgetTokens,
    countTokens: estimatePromptTokens,
    thresholds: { reuse: context.reuseThreshold, extend: context.extendThreshold },
  });
}
