import type { Command } from 'commander';
import { prepareTask, type PreparedTask } from '../../context/prepare.js';
import { withService } from '../../app/service.js';
import { formatUsd, priceTier } from '../../route/cost.js';
import { formatNeeded, formatWindow } from '../../route/router.js';
import { modelName, nonEmptyPath } from '../shared.js';

interface RouteFlags {
  json?: boolean;
  path: string;
  model?: string;
  rulesOnly?: boolean;
}

export function registerRouteCommand(program: Command): void {
  program
    .command('route')
    .description('show which model a task would go to, why, what the prompt would cost, and the fallback chain')
    .argument('<task>', 'the task, in words')
    .option('-p, --path <dir>', 'codebase to pre-search', nonEmptyPath('--path'), '.')
    .option('--model <name>', 'force a model (beats CODECTX_MODEL and the config)', modelName)
    .option('--rules-only', 'classify with keyword rules only, not the labelled examples (pre-search of an indexed codebase still loads its embedding model)')
    .option('--json', 'print JSON')
    .action(async (task: string, flags: RouteFlags) => {
      const prepared = await withService({}, (service) =>
        service.withTaskServicesAt(flags.path, (root, services) =>
          prepareTask({ root, task, modelFlag: flags.model, rulesOnly: flags.rulesOnly }, services),
        ),
      );
      const { decision } = prepared;
      if (flags.json) {
        const reason = [decision.reason, promptSource(prepared), prepared.rulesOnlyNote].filter(Boolean).join('; ');
        const { category, confidence, model, promptTokens, contextFits, estimatedCostUsd, fallbacks } = decision;
        console.log(JSON.stringify({ category, confidence, model, reason, promptTokens, contextFits, estimatedCostUsd, fallbacks }, null, 2));
        return;
      }
      const entry = prepared.policy.models[decision.model]!;
      const tier = priceTier(entry, decision.promptTokens);
      const rows: Array<[string, string]> = [
        ['category', `${decision.category} (confidence ${decision.confidence.toFixed(2)})`],
        ['model', decision.model],
        ['reason', [decision.reason, prepared.rulesOnlyNote].filter(Boolean).join('; ')],
        ['prompt', `${decision.promptTokens} tokens (${promptSource(prepared)})`],
        ['context fit', `${decision.contextFits ? 'fits' : 'DOES NOT FIT'}: ${formatNeeded(decision.promptTokens, decision.expectedOutputTokens)} of ${formatWindow(entry.contextWindow)}`],
        ['est. cost', `${formatUsd(decision.estimatedCostUsd)} (${decision.promptTokens} in × $${tier.inputPerMTok}/M + ${decision.expectedOutputTokens} out × $${tier.outputPerMTok}/M)`],
        ['est. time', `~${Math.ceil(decision.expectedOutputTokens / entry.tokensPerSecond)} s to write ${decision.expectedOutputTokens} tokens at ~${entry.tokensPerSecond} tokens/s`],
        ['fallbacks', decision.fallbacks.join(' → ') || 'none'],
      ];
      for (const [label, value] of rows) console.log(`${label.padEnd(12)} ${value}`);
    });
}

function promptSource(prepared: PreparedTask): string {
  if (!prepared.block) return `task alone: ${prepared.contextNote}`;
  const { snippets, verdict } = prepared.block;
  return `task + pre-search: ${snippets.length} snippet${snippets.length === 1 ? '' : 's'}, verdict ${verdict.kind.toUpperCase()}`;
}
