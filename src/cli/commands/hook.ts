import type { Command } from 'commander';
import { join } from 'node:path';
import { withService } from '../../app/service.js';
import { codectxHome, makePrivateDir } from '../../config/paths.js';
import { rotatingLog } from '../../daemon/logger.js';
import { describeError, UsageError } from '../../errors.js';
import { hookOutput, parseHookInput, userPromptContext, type UserPromptSubmitInput } from '../../hook/promptHook.js';

/**
 * How long the hook waits for the daemon's search before searching in its own process (about a second): a stuck
 * daemon held every prompt 60 s, which is also where Claude Code gives up on a hook and drops its context.
 */
const DAEMON_WAIT_MS = 5000;

export function registerHookCommand(program: Command): void {
  const hook = program.command('hook').description('hooks for Claude Code (see `codectx init --claude`)');
  hook
    .command('user-prompt-submit')
    .description("read Claude Code's UserPromptSubmit JSON on stdin and add the prompt's pre-search context")
    .action(async () => {
      // A hook must never stand between the user and the model: any failure means no context, exit 0.
      let input: UserPromptSubmitInput | undefined;
      try {
        const parsed = parseHookInput(await readStdin());
        input = parsed;
        const context = await withService({}, (service) =>
          userPromptContext(parsed, {
            search: (codebase, query, options) =>
              service.search(codebase, query, options, {
                waitMs: DAEMON_WAIT_MS,
                onGone: (why) => logHook(parsed.session_id, `${why}; searched without it`),
              }),
            indexedAbove: (start) => service.indexedAbove(start),
            buildingNote: (codebase) => service.buildingNote(codebase),
          }),
        );
        if (context) process.stdout.write(await hookOutput(context));
      } catch (error) {
        logHook(input?.session_id, describeError(error));
      }
    });
}

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) throw new UsageError('hook input is expected on stdin (Claude Code sends it)');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function logHook(session: string | undefined, message: string): void {
  let home: string;
  try {
    home = codectxHome(); // refused when CODECTX_HOME is relative: then there is nowhere to log
    makePrivateDir(home);
  } catch {
    return;
  }
  // The log escapes each entry: a session id or a path with a newline in it cannot forge an entry.
  rotatingLog(join(home, 'hook.log'), { maxBytes: 1024 * 1024, keep: 1 }).error(`user-prompt-submit${session ? ` session ${session}` : ''}: ${message}`);
}
