import { inspect } from 'node:util';
import { Command, CommanderError } from 'commander';
import { CodectxError, describeError } from '../errors.js';
import { registerAskCommand } from './commands/ask.js';
import { registerChunkCommand } from './commands/chunk.js';
import { registerClearCommand } from './commands/clear.js';
import { registerContextCommand } from './commands/context.js';
import { registerDaemonCommand } from './commands/daemon.js';
import { registerHookCommand } from './commands/hook.js';
import { registerIndexCommand } from './commands/index.js';
import { registerInitCommand } from './commands/init.js';
import { registerMcpCommand } from './commands/mcp.js';
import { registerRegistryCommands } from './commands/registry.js';
import { registerRouteCommand } from './commands/route.js';
import { registerSearchCommand } from './commands/search.js';
import { registerStatsCommand } from './commands/stats.js';
import { registerStatusCommand } from './commands/status.js';
import { registerTrustCommand } from './commands/trust.js';
import { registerWatchCommand } from './commands/watch.js';
import { outputClosedHandled } from './interrupt.js';
import { packageVersion } from '../version.js';

/** The CLI boundary: every expected failure becomes one line on stderr and a non-zero exit code. */
export async function main(argv: string[]): Promise<number> {
  endQuietlyWhenOutputCloses();
  // Everything codectx creates holds code or talks about it: indexes, caches, logs, locks, and the trees LanceDB
  // writes with the process's umask. Owner-only from the start (0700 folders, 0600 files); files written into a
  // project (init) set their own mode.
  process.umask(0o077);
  const program = new Command('codectx')
    .description('Semantic code search with routing pre-search: index, search, and give models the code to reuse.')
    .version(packageVersion(), '-V, --version')
    .option('--verbose', 'show full error details and debug output')
    .showSuggestionAfterError()
    .exitOverride()
    // Commander's own usage errors ("error: unknown option '--bogus'") in the form of every other one: one line,
    // its suggestion ("\n(Did you mean search?)") included.
    .configureOutput({
      writeErr: (text) => process.stderr.write(text),
      outputError: (text, write) => write(text.replace(/^error: /, 'codectx: ').replace(/\n\(Did you mean (.*)\?\)\n$/, '; did you mean $1?\n')),
    });

  // Ordered as the pipeline runs: index and search, then pre-search and routing, then keeping indexes fresh
  // and plugging into agents.
  registerIndexCommand(program);
  registerSearchCommand(program);
  registerStatusCommand(program);
  registerClearCommand(program);
  registerContextCommand(program);
  registerRouteCommand(program);
  registerAskCommand(program);
  registerStatsCommand(program);
  registerDaemonCommand(program);
  registerWatchCommand(program);
  registerRegistryCommands(program);
  registerMcpCommand(program);
  registerHookCommand(program);
  registerInitCommand(program);
  registerTrustCommand(program);
  registerChunkCommand(program);

  try {
    await program.parseAsync(unknownHelpTopicAsCommand(program, argv));
    // A command that answered in full may still report a state by its exit code (`daemon status`: 3, not running).
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    return reportError(error, argv.includes('--verbose'));
  }
}

/**
 * `codectx help serch` printed the whole help and exit 2 with no suggestion, where `codectx serch` says "Did you
 * mean search?": a help topic that names no command is parsed as that command, so commander reports it so.
 */
function unknownHelpTopicAsCommand(program: Command, argv: string[]): string[] {
  const at = argv.findIndex((arg, index) => index >= 2 && !arg.startsWith('-'));
  const topic = argv[at + 1];
  if (at < 0 || argv[at] !== 'help' || topic === undefined || topic.startsWith('-')) return argv;
  if (program.commands.some((command) => command.name() === topic || command.aliases().includes(topic))) return argv;
  return [...argv.slice(0, at), ...argv.slice(at + 1)];
}

/**
 * A reader that stops early (`| head`, `| true`) closes the pipe, and the next write fails with EPIPE: an 'error'
 * event that, unhandled, kills the process with a stack trace. As rg does, the run ends there, quietly and with
 * success: nothing more can be shown. A closed stderr loses progress and notes, not the work.
 */
function endQuietlyWhenOutputCloses(): void {
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE' && outputClosedHandled()) return;
    if (error.code === 'EPIPE') process.exit(0);
    process.stderr.write(`codectx: cannot write the output: ${describeError(error)}\n`);
    process.exit(1);
  });
  process.stderr.on('error', () => {});
}

function reportError(error: unknown, verbose: boolean): number {
  if (error instanceof CommanderError) {
    // Commander already printed its one line (unknown option, missing argument); help and version exit 0.
    return error.exitCode === 0 ? 0 : 2;
  }
  if (error instanceof CodectxError) {
    process.stderr.write(`codectx: ${error.message}\n`);
    // inspect: a cause that is not an Error (a status object an SDK threw) printed as "[object Object]".
    if (verbose && error.cause) process.stderr.write(`${inspect(error.cause)}\n`);
    return error.exitCode;
  }
  process.stderr.write(`codectx: unexpected error: ${describeError(error)}\n`);
  if (verbose) process.stderr.write(`${(error as Error)?.stack ?? ''}\n`);
  else process.stderr.write('codectx: run again with --verbose for details\n');
  return 1;
}

process.exitCode = await main(process.argv);
