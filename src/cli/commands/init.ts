import type { Command } from 'commander';
import { createInterface } from 'node:readline/promises';
import { UsageError } from '../../errors.js';
import { resolveCodebase } from '../../index/codebase.js';
import { applyInit, planInit, type InitPlan } from '../../setup/claudeSetup.js';
import { checkLauncher, findLauncher } from '../../setup/launcher.js';
import { unifiedDiff } from '../../mcp/textDiff.js';
import { nonEmptyPath } from '../shared.js';
import { count } from '../../text.js';

export function registerInitCommand(program: Command): void {
  program
    .command('init')
    .description('write codectx.config.json; with --claude also register the MCP server and the prompt hook for Claude Code')
    .argument('[path]', 'project root', nonEmptyPath('the path'), '.')
    .option('--claude', 'add the codectx MCP server to .mcp.json and its UserPromptSubmit hook to .claude/settings.json')
    .option('-y, --yes', 'write the changes without asking')
    .action(async (path: string, flags: { claude?: boolean; yes?: boolean }) => {
      const { root } = await resolveCodebase(path);
      const plan = flags.claude ? await planClaudeSetup(root) : await planInit(root, { claude: false });
      for (const line of plan.unchanged) process.stdout.write(`unchanged: ${line}\n`);
      if (plan.changes.length === 0) {
        process.stdout.write(`nothing to change: codectx is already set up in ${root}\n`);
        return;
      }
      for (const change of plan.changes) process.stdout.write(`\n${unifiedDiff(change.path, change.before, change.after)}\n`);
      process.stdout.write('\n');
      if (!flags.yes && !(await confirm(`write ${count(plan.changes.length, 'file')} in ${root}?`))) {
        process.stdout.write('nothing written\n');
        return;
      }
      await applyInit(root, plan);
      process.stdout.write(`wrote ${plan.changes.map((change) => change.path).join(', ')}\n`);
      if (flags.claude) process.stdout.write('restart Claude Code in this project to load the MCP server and the hook\n');
    });
}

/** Claude Code runs the command from anywhere, so it must name this codectx, and must start. */
async function planClaudeSetup(root: string): Promise<InitPlan> {
  const launcher = await findLauncher();
  await checkLauncher(launcher);
  return planInit(root, { claude: true, launcher });
}

async function confirm(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) throw new UsageError('not a terminal, so nothing was written; run again with --yes to write these changes');
  const readline = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return /^y(es)?$/i.test((await readline.question(`${question} [y/N] `)).trim());
  } finally {
    readline.close();
  }
}
