import type { Command } from 'commander';
import { withService } from '../../app/service.js';
import { addStoreOptions, nonEmptyPath, type StoreFlags } from '../shared.js';
import { count } from '../../text.js';

export function registerClearCommand(program: Command): void {
  addStoreOptions(
    program
      .command('clear')
      .description("drop a codebase's index (its vectors and manifest; the embedding cache, shared by codebases, stays); the daemon stops watching it")
      .argument('[path]', 'codebase root', nonEmptyPath('the path'), '.'),
  ).action(async (path: string, flags: StoreFlags) => {
    const { root, cleared, clearedChunks, unwatched, store, kept } = await withService(flags, (service) => service.clear(path));
    const watchNote = unwatched ? '; the daemon no longer watches it (`codectx add` to watch it again)' : '';
    const held = clearedChunks === undefined ? '' : ` (${count(clearedChunks, 'chunk')})`;
    // Named only when the folder holds another store's index, which stays.
    const which = kept ? `${store} ` : '';
    const keptNote = kept ? `; its ${kept} index stays` : '';
    if (!cleared) process.stdout.write(`${root} has no ${which}index; nothing to clear${watchNote}${keptNote}\n`);
    else process.stdout.write(`cleared the ${which}index of ${root}${held}${watchNote}${keptNote}\n`);
  });
}
