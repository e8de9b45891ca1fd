import { Command, CommanderError } from 'commander';
import { CodectxError, describeError } from '../errors.js';
import { registerIndexCommand } from './commands/index.js';
import { registerSearchCommand } from './commands/search.js';
import { registerStatusCommand } from './commands/status.js';
import { registerClearCommand } from './commands/clear.js';
import { packageVersion } from './version.js';

/** The CLI boundary: every expected failure becomes one line on stderr and a non-zero exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = new Command('codectx')
    .description('Semantic code search with routing pre-search: index, search, and give models the code to reuse.')
    .version(packageVersion(), '-V, --version')
    .option('--verbose', 'show full error details and debug output')
    .showSuggestionAfterError()
    .exitOverride()
    .configureOutput({ writeErr: (text) => process.stderr.write(text) });

  registerIndexCommand(program);
  registerSearchCommand(program);
  registerStatusCommand(program);
  registerClearCommand(program);

  try {
    await program.parseAsync(argv);
    return 0;
  } catch (error) {
    return reportError(error, argv.includes('--verbose'));
  }
}

function reportError(error: unknown, verbose: boolean): number {
  if (error instanceof CommanderError) {
    // Commander already printed its one line (unknown option, missing argument); help and version exit 0.
    return error.exitCode === 0 ? 0 : 2;
  }
  if (error instanceof CodectxError) {
    process.stderr.write(`codectx: ${error.message}\n`);
    if (verbose && error.cause) process.stderr.write(`${String((error.cause as Error).stack ?? error.cause)}\n`);
    return error.exitCode;
  }
  process.stderr.write(`codectx: unexpected error: ${describeError(error)}\n`);
  if (verbose) process.stderr.write(`${(error as Error)?.stack ?? ''}\n`);
  else process.stderr.write('codectx: run again with --verbose for details\n');
  return 1;
}

process.exitCode = await main(process.argv);
