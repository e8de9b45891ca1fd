import type { CodectxConfig } from '../config/config.js';
import { buildContext, type ContextBlock } from '../context/build.js';
import type { Codebase } from '../index/codebase.js';
import type { Runtime } from '../index/runtime.js';
import { estimateTokens } from '../providers/tokens.js';
import { routingSettings } from '../route/settings.js';

/** Results pre-search ranks before the budget trims them: more than fit, so the budget picks the best. */
const CONTEXT_RESULTS = 12;

/** The pre-search block for a task: the code to reuse or extend, within `budgetTokens`, with its verdict. */
export async function taskContext(
  runtime: Runtime,
  codebase: Codebase,
  config: CodectxConfig,
  task: string,
  budgetTokens: number,
): Promise<ContextBlock> {
  const { context } = routingSettings(config.project);
  const results = await runtime.search(codebase, task, { limit: CONTEXT_RESULTS });
  return buildContext(task, results, {
    budgetTokens,
    countTokens: estimateTokens,
    thresholds: { reuse: context.reuseThreshold, extend: context.extendThreshold },
  });
}
