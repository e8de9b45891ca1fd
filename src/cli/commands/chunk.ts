/** `codectx chunk <file>`: shows how the index cuts one file, to debug chunk boundaries. */
import { readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../../config/config.js';
import { CHUNK_TOKENS_RANGE } from '../../config/fileSchema.js';
import { UsageError } from '../../errors.js';
import { decodeSource } from '../../files/read.js';
import { isIgnoredWithFolders } from '../../files/ignoreRules.js';
import { rootIgnores } from '../../files/repoIgnores.js';
import { isSourcePath } from '../../files/languages.js';
import { escapedFileName, isInside, walkPaths, type SkipReason } from '../../files/walk.js';
import { ownHomeIgnores } from '../../config/paths.js';
import { indexChunker } from '../../index/chunkRecords.js';
import { resolveCodebase } from '../../index/codebase.js';
import { nonEmptyPath, parseCount } from '../shared.js';
import { printable, shellArg } from '../../text.js';

interface ChunkFlags {
  path: string;
  json?: boolean;
  maxTokens?: string;
}

const NOT_INDEXED: Partial<Record<SkipReason, string>> = {
  binary: 'is a binary file',
  'not-utf8': 'is not UTF-8 text',
  minified: 'looks minified (its lines average over 500 characters)',
};

export function registerChunkCommand(program: Command): void {
  program
    .command('chunk <file>')
    .description('print the chunks `codectx index` cuts a file into (same token budget and tokenizer)')
    .option('-p, --path <dir>', 'codebase root, whose codectx.config.json sets the budget', nonEmptyPath('--path'), '.')
    .option('--json', 'print the chunks as a JSON array')
    .option('--max-tokens <n>', `token budget per chunk instead of the configured one (chunkTokens), ${CHUNK_TOKENS_RANGE.min} to ${CHUNK_TOKENS_RANGE.max}, within what the embedding model takes`)
    .action(async (file: string, flags: ChunkFlags) => {
      const { root } = await resolveCodebase(flags.path);
      const config = loadConfig(root);
      if (flags.maxTokens !== undefined) config.chunkTokens = parseCount(flags.maxTokens, '--max-tokens', CHUNK_TOKENS_RANGE);
      if (file === '') throw new UsageError('the file name is empty');
      const info = await stat(file).catch((error: NodeJS.ErrnoException) => error);
      if (info instanceof Error) throw new UsageError(await cannotOpen(file, info));
      if (info.isDirectory()) throw new UsageError(`${file} is a folder; chunk takes one file (\`codectx index --dry-run ${shellArg(file)}\` plans a folder)`);
      // Reading a FIFO waits for a writer that may never come (a device never ends); the index skips both.
      if (!info.isFile()) throw new UsageError(`${file} is not a regular file; index skips it`);
      if (info.size > config.maxFileBytes) throw new UsageError(`${file} has ${info.size} bytes, over maxFileBytes (${config.maxFileBytes}); index skips it`);
      // Nothing outside the codebase is read, through a link or otherwise: the index never would.
      const real = await realpath(file);
      if (!isInside(root, real)) {
        throw new UsageError(`${file} is outside the codebase ${root} (outside-root); chunk reads files of the codebase given by --path`);
      }
      // The index names files relative to its root.
      const name = path.relative(root, real).split(path.sep).join('/');
      // Key files and .env are never read, not even to show how they would be cut.
      if (isIgnoredWithFolders((await rootIgnores(root, config.ignore)).levels, name)) {
        throw new UsageError(`${file} matches codectx's built-in ignore rules, the config's ignore list or an ignore file above the codebase; index skips it`);
      }
      const read = decodeSource(await readFile(real));
      if (!read.ok) throw new UsageError(`${file} ${NOT_INDEXED[read.reason] ?? read.reason}; index skips it`);
      // As the index walks: a file type it does not read, or one a .gitignore or .codectxignore inside the codebase
      // leaves out, was cut and shown as if indexed.
      if (!isSourcePath(name)) throw new UsageError(`${file} is not a file type codectx indexes; index skips it`);
      const walked = await walkPaths(root, [name], { ignore: [...config.ignore, ...ownHomeIgnores(root)], maxFileBytes: config.maxFileBytes });
      if (!walked.files.some((found) => found.path === name) && !walked.skipped.some((skip) => skip.path === name)) {
        throw new UsageError(`${file} is left out by a .gitignore or .codectxignore of the codebase, or is in codectx's own folder; index skips it`);
      }

      const chunker = await indexChunker(config);
      // The index cuts within what the model embeds (a chunk's name goes before its code): 400 with the local model
      // cut at 238, as 238 does, and said nothing.
      if (flags.maxTokens !== undefined && chunker.maxTokens < config.chunkTokens!) {
        console.error(`codectx: --max-tokens ${config.chunkTokens} is over what the embedding model takes with a chunk's name; cut at ${chunker.maxTokens}, as index would`);
      }
      const chunks = await chunker.chunk(name, read.text);
      process.stdout.write(flags.json ? `${JSON.stringify(chunks, null, 2)}\n` : chunks.map(describe).join(''));
    });
}

/** Why a file named on the command line cannot be opened, in the words of the index's walk for the same file. */
async function cannotOpen(file: string, error: NodeJS.ErrnoException): Promise<string> {
  // "no such file" for both: a link round to itself exists, and a name that is not UTF-8 reached Node with U+FFFD.
  if (error.code === 'ELOOP') return `${file} is a symlink loop (a link that leads back to itself); index skips it`;
  const escaped = await escapedFileName(file);
  if (escaped) return `${escaped}: its name is not valid UTF-8; index skips it`;
  return `no such file: ${file}`;
}

function describe(chunk: { startLine: number; endLine: number; kind: string; symbol: string; container: string }): string {
  const container = chunk.container ? ` (${printable(chunk.container)})` : '';
  return `${chunk.startLine}-${chunk.endLine} ${chunk.kind} ${printable(chunk.symbol) || '-'}${container}\n`;
}
