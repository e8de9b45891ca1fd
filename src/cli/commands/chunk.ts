/** `codectx chunk <file>`: shows how the chunker cuts one file, to debug chunk boundaries. */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { createChunker, DEFAULT_MAX_TOKENS } from '../../chunk/chunker.js';
import { UsageError } from '../../errors.js';

export function registerChunkCommand(program: Command): void {
  program
    .command('chunk <file>')
    .description('print the chunks codectx cuts a file into')
    .option('--json', 'print the chunks as a JSON array')
    .option('--max-tokens <n>', 'token budget per chunk', String(DEFAULT_MAX_TOKENS))
    .action(async (file: string, options: { json?: boolean; maxTokens: string }) => {
      const maxTokens = Number(options.maxTokens);
      if (!Number.isInteger(maxTokens) || maxTokens < 16) throw new UsageError(`--max-tokens must be an integer ≥ 16, got "${options.maxTokens}"`);
      const isFile = await stat(file).then((s) => s.isFile(), () => false);
      if (!isFile) throw new UsageError(`no such file: ${file}`);
      const chunker = await createChunker({ maxTokens });
      const relative = path.relative(process.cwd(), path.resolve(file)).split(path.sep).join('/');
      const chunks = await chunker.chunk(relative, await readFile(file, 'utf8'));
      if (options.json) {
        process.stdout.write(`${JSON.stringify(chunks, null, 2)}\n`);
        return;
      }
      for (const c of chunks) {
        const container = c.container ? ` (${c.container})` : '';
        process.stdout.write(`${c.startLine}-${c.endLine} ${c.kind} ${c.symbol || '-'}${container}\n`);
      }
    });
}
