import type { Command } from 'commander';
import { connectDaemon } from '../../daemon/client.js';
import { consoleLog } from '../../daemon/logger.js';
import { RuntimePool } from '../../runtime/runtimePool.js';
import { RunScheduler } from '../../daemon/scheduler.js';
import { WatchedCodebase } from '../../daemon/watchedCodebase.js';
import { withService } from '../../app/service.js';
import { enclosingNote, nonEmptyPath } from '../shared.js';

export function registerWatchCommand(program: Command): void {
  program
    .command('watch')
    .description('watch one codebase in the foreground and re-index it as files change (Ctrl-C stops)')
    .argument('[path]', 'codebase root (default: the indexed codebase the current folder is in, else the current folder)', nonEmptyPath('the path'))
    .action(async (path: string | undefined) => {
      // As `index` chooses: from a folder of an indexed codebase, that codebase, not a second index of the folder.
      const { codebase, enclosing } = await withService({}, (service) => service.indexTarget(path));
      if (enclosing) process.stderr.write(`codectx: ${enclosingNote(codebase, enclosing, 'watch')}\n`);
      const root = codebase.root;
      const client = await connectDaemon();
      if (client) {
        const status = await client.status().finally(() => client.close());
        if (status.codebases.some((codebase) => codebase.root === root)) {
          process.stderr.write('note: the daemon also watches this codebase; the two take turns on its index lock\n');
        }
      }
      const runtimes = new RuntimePool();
      const log = consoleLog(process.stdout);
      const watched = new WatchedCodebase(root, { runtimes, scheduler: new RunScheduler(), log });
      log.info(`watching ${root} (Ctrl-C to stop)`);
      await watched.start();
      // Nothing else may hold the process up: a codebase gone missing (renamed, deleted) has no watcher while it is
      // waited for, and node then ended the command at once, status 13, instead of watching for its return.
      const holdOpen = setInterval(() => undefined, 1 << 30);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      clearInterval(holdOpen);
      log.info('stopping');
      await watched.stop();
      await runtimes.closeAll();
    });
}
