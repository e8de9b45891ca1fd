import type { Command } from 'commander';
import { loadConfig } from '../../config/config.js';
import { resolveCodebase } from '../../index/codebase.js';
import { readMeta } from '../../index/meta.js';
import { Runtime } from '../../index/runtime.js';
import { addStoreOptions, type StoreFlags } from '../shared.js';

export function registerClearCommand(program: Command): void {
  addStoreOptions(
    program
      .command('clear')
      .description("drop a codebase's index (its vectors, manifest and embedding cache)")
      .argument('[path]', 'codebase root', '.'),
  ).action(async (path: string, flags: StoreFlags) => {
    const codebase = await resolveCodebase(path);
    const meta = await readMeta(codebase.indexDir);
    if (!meta) {
      process.stdout.write(`${codebase.root} has no index; nothing to clear\n`);
      return;
    }
    // The store the index was built with, even if the settings changed since.
    const runtime = new Runtime(loadConfig(codebase.root, { ...flags, store: flags.store ?? meta.store }));
    try {
      await runtime.clear(codebase);
    } finally {
      await runtime.close();
    }
    process.stdout.write(`cleared the index of ${codebase.root} (${meta.chunks} chunks)\n`);
  });
}
