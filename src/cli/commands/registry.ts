import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { connectDaemon } from '../../daemon/client.js';
import type { CodebaseStatus } from '../../daemon/protocol.js';
import { withService } from '../../app/service.js';
import { listCodebases, unregisterCodebase } from '../../daemon/registry.js';
import { UsageError } from '../../errors.js';
import { resolveFolder } from '../../index/codebase.js';
import { listIndexes } from '../../index/indexList.js';
import { enclosingNote, nonEmptyPath } from '../shared.js';
import { binaryBytes, count, printable } from '../../text.js';

/** `add`, `remove`, `list`: the codebases the daemon keeps indexed. */
export function registerRegistryCommands(program: Command): void {
  program
    .command('add')
    .description('register a codebase with the daemon: it is indexed now and kept current as files change')
    .argument('<path>', 'codebase root', nonEmptyPath('the path'))
    .action(async (path: string) => {
      const { codebase, added, daemonRuns } = await withService({}, async (service) => {
        const { codebase, enclosing } = await service.indexTarget(path);
        if (enclosing) process.stderr.write(`codectx: ${enclosingNote(codebase, enclosing, 'add')}\n`);
        return { codebase, ...(await service.watch(codebase)) };
      });
      const state = daemonRuns ? 'the daemon is indexing and watching it' : 'the daemon is not running; `codectx daemon start` to index and watch it';
      process.stdout.write(`${added ? 'added' : 'already registered:'} ${printable(codebase.root)} (${state})\n`);
    });

  program
    .command('remove')
    .description('stop watching a codebase (its index stays until `codectx clear`)')
    .argument('<path>', 'codebase root (may no longer exist)', nonEmptyPath('the path'))
    .action(async (path: string) => {
      const root = await resolveFolder(path).then((codebase) => codebase.root, () => resolve(path));
      const client = await connectDaemon();
      const removed = client
        ? (await client.remove(root).finally(() => client.close())).removed
        : await unregisterCodebase(root);
      // As a bad path does: the command did not do what was asked, so scripts see it.
      if (!removed) throw new UsageError(`${printable(root)} is not registered (\`codectx list\` shows the registered codebases)`);
      process.stdout.write(`removed ${printable(root)}\n`);
    });

  program
    .command('list')
    .description('list the registered codebases (with their state when the daemon runs)')
    .option('--indexes', 'list every index kept here instead, with its size; a deleted or moved folder is marked')
    .option('--json', 'print as JSON')
    .action(async (flags: { json?: boolean; indexes?: boolean }) => {
      if (flags.indexes) return printIndexes(flags.json);
      const codebases = await listCodebases();
      const client = await connectDaemon();
      const states = new Map<string, CodebaseStatus>();
      if (client) {
        const status = await client.status().finally(() => client.close());
        for (const codebase of status.codebases) states.set(codebase.root, codebase);
      }
      const rows = codebases.map((entry) => ({
        root: entry.root,
        addedAt: entry.addedAt,
        exists: existsSync(entry.root),
        state: states.get(entry.root)?.state,
      }));
      if (flags.json) {
        process.stdout.write(`${JSON.stringify({ daemon: client !== undefined, codebases: rows }, null, 2)}\n`);
        return;
      }
      if (rows.length === 0) {
        process.stdout.write('no codebases registered (`codectx add <path>`)\n');
        return;
      }
      for (const row of rows) {
        const note = row.state ?? (row.exists ? 'not watched (daemon not running)' : 'missing');
        process.stdout.write(`${printable(row.root)}  ${note}\n`);
      }
    });
}

/** `list --indexes`: every index under the codectx home, so one whose folder is gone can be found and cleared. */
async function printIndexes(json?: boolean): Promise<void> {
  const indexes = await listIndexes();
  if (json) {
    process.stdout.write(`${JSON.stringify({ indexes }, null, 2)}\n`);
    return;
  }
  if (indexes.length === 0) {
    process.stdout.write('no indexes (`codectx index <path>`)\n');
    return;
  }
  for (const index of indexes) {
    const missing = index.folderExists ? '' : '  (folder missing: `codectx clear <path>` drops its index)';
    // A shared index lives on the server, where teammates change it; what is kept here is this machine's last view.
    const counts = `${count(index.files, 'file')}, ${count(index.chunks, 'chunk')}`;
    const held = index.store === 'milvus' ? `${counts} on Milvus as this machine last saw them (\`codectx status\` asks the server)` : `${counts}, ${binaryBytes(index.bytes)}`;
    process.stdout.write(`${printable(index.root)}  ${held}${missing}\n`);
  }
}
