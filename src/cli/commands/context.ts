import type { Command } from 'commander';
import { snippetLocation } from '../../context/build.js';
import { prepareTask } from '../../context/prepare.js';
import { withService } from '../../app/service.js';
import { IndexStateError } from '../../errors.js';
import { redactSecrets } from '../../redact/redact.js';
import { nonEmptyPath, parseCount } from '../shared.js';
import { count } from '../../text.js';
import { BUDGET_TOKENS } from '../../config/sections.js';

interface ContextFlags {
  path: string;
  budget?: string;
  json?: boolean;
}

export function registerContextCommand(program: Command): void {
  program
    .command('context')
    .description('pre-search a task: the existing code a model should read first, and a Reuse/Extend/Create verdict')
    .argument('<task>', 'the task, in words')
    .option('-p, --path <dir>', 'codebase to search', nonEmptyPath('--path'), '.')
    .option(
      '--budget <tokens>',
      `token budget for the block, ${BUDGET_TOKENS.min} to ${BUDGET_TOKENS.max} (default: 5% of the routed model's window, at most 8000)`,
    )
    .option('--json', 'print JSON')
    .action(async (task: string, flags: ContextFlags) => {
      const budgetTokens = flags.budget === undefined ? undefined : parseCount(flags.budget, '--budget', BUDGET_TOKENS);
      const prepared = await withService({}, async (service) => {
        const codebase = await service.locate(flags.path);
        return service.withTaskServices(codebase, (services) =>
          prepareTask({ root: codebase.root, task, budgetTokens }, services),
        );
      });
      const block = prepared.block;
      if (!block) throw new IndexStateError(prepared.contextNote ?? 'no pre-search context');
      if (flags.json) {
        // The JSON is the block in parts, for a tool to hand to a model as the text form is: redacted alike.
        const contents = await Promise.all(block.snippets.map(async (s) => (await redactSecrets(s.content)).text));
        console.log(
          JSON.stringify(
            {
              verdict: block.verdict,
              queries: block.queries,
              tokens: block.tokens,
              budgetTokens: block.budgetTokens,
              dropped: block.dropped,
              unrelated: block.unrelated,
              snippets: block.snippets.map((s, i) => ({
                location: snippetLocation(s),
                file: s.file,
                startLine: s.startLine,
                endLine: s.truncatedAt ?? s.endLine,
                truncated: s.truncatedAt !== undefined,
                definition: s.definition,
                symbols: s.symbols,
                kinds: s.kinds,
                score: s.score,
                similarity: s.similarity,
                content: contents[i],
              })),
            },
            null,
            2,
          ),
        );
        return;
      }
      process.stdout.write(block.text);
      const dropped = block.dropped > 0 ? `, ${count(block.dropped, 'snippet')} dropped to fit` : '';
      console.error(`(${block.tokens} of ${block.budgetTokens} budget tokens${dropped})`);
    });
}
