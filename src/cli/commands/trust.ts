import type { Command } from 'commander';
import { CONFIG_FILE, projectConfigFile } from '../../config/config.js';
import { trustSettings } from '../../config/trust.js';
import { resolveFolder } from '../../index/codebase.js';
import { nonEmptyPath } from '../shared.js';
import { printable } from '../../text.js';

export function registerTrustCommand(program: Command): void {
  program
    .command('trust')
    .description(`take the settings of a folder's ${CONFIG_FILE} that send code or keys off this machine (endpoints, key variables, a Milvus server); asked again when they change`)
    .argument('[path]', 'the folder whose config file to trust', nonEmptyPath('the path'), '.')
    .action(async (path: string) => {
      const { root } = await resolveFolder(path);
      const file = projectConfigFile(root);
      if (!file) {
        process.stdout.write(`${printable(root)} has no ${CONFIG_FILE}; nothing to trust\n`);
        return;
      }
      const trusted = trustSettings(root, file);
      if (trusted.length === 0) process.stdout.write(`${CONFIG_FILE} of ${printable(root)} sends nothing off this machine; nothing to trust\n`);
      else process.stdout.write(`trusted ${CONFIG_FILE} of ${printable(root)}: ${trusted.join('; ')}\n`);
    });
}
