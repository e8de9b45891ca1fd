import type { EmbeddingProvider } from '../embed/types.js';
import { estimateTokens } from '../providers/tokens.js';
import { TaskClassifier } from '../route/classify.js';
import { formatUsd } from '../route/cost.js';
import { limitedModels } from '../route/limits.js';
import { resolveModelOverride } from '../route/overrides.js';
import { defaultPolicy, mergePolicy, type RoutingPolicy } from '../route/policy.js';
import { decideRoute, type RouteDecision } from '../route/router.js';
import { routingSettings } from '../route/settings.js';

/**
 * Routes tasks by a project's policy. Classifiers are kept per embedder and policy, so the labelled examples
 * are embedded once per process rather than once per call.
 */
export class TaskRouter {
  private readonly classifiers = new WeakMap<EmbeddingProvider, Map<string, TaskClassifier>>();

  async route(task: string, project: Record<string, unknown>, embedder: EmbeddingProvider): Promise<RouteDecision> {
    const settings = routingSettings(project);
    const policy = mergePolicy(defaultPolicy(), settings.routing);
    return decideRoute(policy, {
      classification: await this.classifier(policy, embedder).classify(task),
      promptTokens: estimateTokens(task),
      override: resolveModelOverride(policy, { env: process.env.CODECTX_MODEL, config: settings.model }),
      limited: limitedModels(policy),
    });
  }

  private classifier(policy: RoutingPolicy, embedder: EmbeddingProvider): TaskClassifier {
    let byPolicy = this.classifiers.get(embedder);
    if (!byPolicy) this.classifiers.set(embedder, (byPolicy = new Map()));
    const key = JSON.stringify(policy);
    let classifier = byPolicy.get(key);
    if (!classifier) byPolicy.set(key, (classifier = new TaskClassifier(policy, embedder)));
    return classifier;
  }
}

export function formatRoute(decision: RouteDecision): string {
  const lines = [
    `Model: ${decision.model}`,
    `Category: ${decision.category} (confidence ${decision.confidence.toFixed(2)})`,
    `Reason: ${decision.reason}`,
    `Fallbacks: ${decision.fallbacks.length > 0 ? decision.fallbacks.join(' → ') : 'none'}`,
    `Prompt: ${decision.promptTokens} tokens, expected output ${decision.expectedOutputTokens} tokens; ` +
      `${decision.contextFits ? 'fits the context window' : 'does NOT fit any available context window'}`,
    `Estimated cost: ${formatUsd(decision.estimatedCostUsd)}`,
  ];
  return lines.join('\n');
}
