import type { Command } from 'commander';
import { withService } from '../../app/service.js';
import { addStoreOptions, nonEmptyPath, type StoreFlags } from '../shared.js';
import { count, printable } from '../../text.js';

export function registerClearCommand(program: Command): void {
  addStoreOptions(
    program
      .command('clear')
      .description("drop a codebase's index (its vectors and manifest; the embedding cache, shared by codebases, stays); the daemon stops watching it")
      .argument('[path]', 'codebase root', nonEmptyPath('the path'), '.'),
  ).action(async (path: string, flags: StoreFlags) => {
    const { root, cleared, clearedChunks, unwatched, store, kept, sharedKept } = await withService(flags, (service) => service.clear(path));
    const watchNote = unwatched ? '; the daemon no longer watches it (`codectx add` to watch it again)' : '';
    const held = clearedChunks === undefined ? '' : ` (${count(clearedChunks, 'chunk')})`;
    // Named only when the folder holds another store's index, which stays.
    const which = kept ? `${store} ` : '';
    const keptNote = kept ? `; its ${kept} index stays` : '';
    if (!cleared) process.stdout.write(`${printable(root)} has no ${which}index; nothing to clear${watchNote}${keptNote}\n`);
    else if (sharedKept !== undefined) process.stdout.write(`${sharedNote(root, sharedKept)}${watchNote}\n`);
    else process.stdout.write(`cleared the ${which}index of ${printable(root)}${held}${watchNote}${keptNote}\n`);
  });
}

/** The server copy of a Milvus index stays when the folder no longer gives its key: say which, and how to drop it. */
function sharedNote(root: string, key: string): string {
  const shared = key ? `the shared index ${printable(key)}` : 'its shared index (keyed by a git remote or config name)';
  return (
    `cleared this machine's record of the milvus index of ${printable(root)}; ${shared} stays on the server for its other checkouts ` +
    '(`codectx clear` in a checkout of that repository drops it)'
  );
}
