import type { Command } from 'commander';
import { prepareTask } from '../../context/prepare.js';
import { withService } from '../../app/service.js';
import { formatUsd } from '../../route/cost.js';
import { CodectxError, UsageError } from '../../errors.js';
import { PartialAnswerError } from '../../llm/types.js';
import { assertWithinBudget } from '../../route/limits.js';
import { formatNeeded, formatWindow } from '../../route/router.js';
import { interruptOnSignals, whenOutputCloses } from '../interrupt.js';
import { modelName, nonEmptyPath } from '../shared.js';
import { count, printableLines } from '../../text.js';

interface AskFlags {
  path: string;
  model?: string;
  context: boolean;
  dryRun?: boolean;
}

export function registerAskCommand(program: Command): void {
  program
    .command('ask')
    .alias('run')
    .description('pre-search the codebase, route the task to a model and stream its answer (Search → Reuse → Extend → Create)')
    .argument('<task>', 'the task, in words')
    .option('-p, --path <dir>', 'codebase to pre-search', nonEmptyPath('--path'), '.')
    .option('--model <name>', 'force a model (beats CODECTX_MODEL and the config)', modelName)
    .option('--no-context', 'skip pre-search and send the task alone')
    .option('--dry-run', 'print the routing decision and the exact prompt, call nothing')
    .action(async (task: string, flags: AskFlags) => {
      // The models loaded to prepare are let go before the call, which may stream for minutes.
      const prepared = await withService({}, (service) =>
        service.withTaskServicesAt(flags.path, (root, services) =>
          prepareTask({ root, task, modelFlag: flags.model, skipContext: !flags.context }, services),
        ),
      );
      const { decision, prompt, redaction, policy } = prepared;
      const redacted = redaction.count > 0
        ? `redacted ${count(redaction.count, 'secret')}: ${Object.entries(redaction.byKind).map(([kind, n]) => `${kind} ×${n}`).join(', ')}`
        : 'no secrets redacted';
      if (flags.dryRun) {
        console.log(`route: ${decision.category} → ${decision.model} (confidence ${decision.confidence.toFixed(2)}); ${decision.reason}`);
        console.log(`fallbacks: ${decision.fallbacks.join(' → ') || 'none'}; prompt ${decision.promptTokens} tokens; est. cost ${formatUsd(decision.estimatedCostUsd)}; ${redacted}`);
        console.log('--- system ---');
        console.log(prompt.system);
        console.log('--- prompt ---');
        console.log(prompt.prompt);
        return;
      }
      if (!decision.contextFits) {
        const needed = formatNeeded(decision.promptTokens, decision.expectedOutputTokens);
        const window = formatWindow(policy.models[decision.model]!.contextWindow);
        throw new UsageError(`${needed} do not fit ${decision.model}'s ${window} window; lower the pre-search budget, use --no-context or another --model`);
      }
      assertWithinBudget(policy);
      const presearch = prepared.block
        ? `pre-search ${prepared.block.verdict.kind.toUpperCase()} (${count(prepared.block.snippets.length, 'snippet')})`
        : `no pre-search (${prepared.contextNote})`;
      // Why not the category's own model (at its limit, too small a window), as `route` says.
      const passedOver = decision.passedOver.length > 0 ? ` (${decision.passedOver.join('; ')})` : '';
      console.error(`codectx: ${decision.category} → ${decision.model}${passedOver}; ${presearch}${redaction.count > 0 ? `; ${redacted}` : ''}`);
      // Model SDKs load only when a model is really called (not for --dry-run, nor for other commands).
      const { routedCall } = await import('../../llm/routedCall.js');
      /** Whether the answer so far ends mid-line: ended before anything else is printed, error lines included. */
      let lineOpen = false;
      // Ctrl-C stops the answer where it is, and the part the provider bills goes to the ledger as the break of a
      // stream does; a second Ctrl-C ends the process at once. So does a reader that stops early (`| head`), after
      // which the run ends quietly, as rg does.
      const interrupt = interruptOnSignals(() => {});
      const stop = new AbortController();
      let readerGone = false;
      interrupt.signal.addEventListener('abort', () => stop.abort(), { once: true });
      whenOutputCloses(() => {
        readerGone = true;
        stop.abort();
      });
      const result = await routedCall({
        policy,
        decision,
        system: prompt.system,
        prompt: prompt.prompt,
        onToken: (text) => {
          // The answer can carry what the indexed code put in it: no escape sequence reaches the terminal.
          const shown = printableLines(text);
          process.stdout.write(shown);
          if (shown) lineOpen = !shown.endsWith('\n');
        },
        onFallback: (from, to, error) => console.error(`codectx: ${from} failed (${error.message}); falling back to ${to}`),
        onSkip: (model, to, error) => console.error(`codectx: ${model} skipped (${error.message}); trying ${to}`),
        onRecordError: (error) => console.error(`codectx: ${error.message}`),
        signal: stop.signal,
      }).catch((error: unknown) => {
        if (readerGone) return undefined;
        if (!interrupt.signal.aborted) throw error;
        const recorded = error instanceof PartialAnswerError ? ` mid-answer after ${error.partial.text.length} characters` : '';
        throw new CodectxError(`interrupted${recorded}`, interrupt.exitCode());
      }).finally(() => {
        interrupt.dispose();
        whenOutputCloses(undefined);
        if (lineOpen && !readerGone) process.stdout.write('\n');
      });
      if (!result) return;
      const { usage } = result;
      const estimated = usage.tokensEstimated ? ' (estimated)' : '';
      console.error(
        `codectx: ${usage.model} · ${usage.inputTokens} in / ${usage.outputTokens} out tokens${estimated} · ${formatUsd(usage.costUsd)} · ${(usage.latencyMs / 1000).toFixed(1)} s`,
      );
    });
}
