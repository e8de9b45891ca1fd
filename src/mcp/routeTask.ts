import type { ConfigFile } from '../config/fileSchema.js';
import { projectRouting } from '../context/prepare.js';
import type { EmbeddingProvider } from '../embed/types.js';
import { estimatePromptTokens } from '../llm/tokens.js';
import { TaskClassifier } from '../route/classify.js';
import { formatUsd } from '../route/cost.js';
import { decideRoute, type RouteDecision } from '../route/router.js';
import { printable } from '../text.js';

/** The routing decision for a task alone, by a project's policy (the examples' vectors are cached on disk). */
export async function routeTask(task: string, project: ConfigFile, embedder: EmbeddingProvider): Promise<RouteDecision> {
  const { policy, override, limited } = projectRouting(project, { env: process.env.CODECTX_MODEL });
  return decideRoute(policy, {
    classification: await new TaskClassifier(policy, embedder).classify(task),
    promptTokens: estimatePromptTokens(task),
    override,
    limited,
  });
}

/** Model names and rule terms come from codectx.config.json, which a cloned repository writes: escaped. */
export function formatRoute(decision: RouteDecision): string {
  const lines = [
    `Model: ${printable(decision.model)}`,
    `Category: ${decision.category} (confidence ${decision.confidence.toFixed(2)})`,
    `Reason: ${printable(decision.reason)}`,
    `Fallbacks: ${decision.fallbacks.length > 0 ? printable(decision.fallbacks.join(' → ')) : 'none'}`,
    `Prompt: ${decision.promptTokens} tokens, expected output ${decision.expectedOutputTokens} tokens; ` +
      `${decision.contextFits ? 'fits the context window' : 'does NOT fit any available context window'}`,
    `Estimated cost: ${formatUsd(decision.estimatedCostUsd)}`,
  ];
  return lines.join('\n');
}
