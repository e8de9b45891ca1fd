import type { Command } from 'commander';
import { resolve } from 'node:path';
import { CHUNK_KINDS, type ChunkKind } from '../../chunk/types.js';
import { withService } from '../../app/service.js';
import { UsageError } from '../../errors.js';
import { isInside } from '../../files/walk.js';
import { resolveFolder } from '../../index/codebase.js';
import { assertFolder, searchFilters } from '../../search/filters.js';
import type { SearchOptions } from '../../search/searcher.js';
import type { SearchResult } from '../../search/types.js';
import { wantsColor } from '../color.js';
import { formatFiles, formatResults } from '../formatResults.js';
import { addStoreOptions, nonEmptyPath, parseCount, type StoreFlags } from '../shared.js';

interface SearchFlags extends StoreFlags {
  path?: string;
  limit: string;
  lang?: string;
  kind?: string;
  under?: string;
  glob?: string[];
  color: string;
  files?: boolean;
  json?: boolean;
}

// --files lists --limit files; several results often share one, so it asks for more results than that.
const RESULTS_PER_FILE = 3;
// Far more than a screen; three times it stays within what either store returns from one query (Milvus: 16384).
const LIMIT_RANGE = { min: 1, max: 1000 };

export function registerSearchCommand(program: Command): void {
  addStoreOptions(
    program
      .command('search')
      .description('hybrid search (meaning + keywords) of an indexed codebase')
      .argument('<query>', 'what you are looking for, in words or identifiers')
      .option('-p, --path <dir>', 'the codebase, or a folder of it to search only there (default: the codebase of the current folder)', nonEmptyPath('--path'))
      .option('-n, --limit <n>', `number of results (files with --files), ${LIMIT_RANGE.min} to ${LIMIT_RANGE.max}`, '10')
      .option('--lang <language>', 'only this language: a name or an extension (typescript, ts, py, rs, go, …)')
      .option('--kind <kind>', `only chunks of this kind (${CHUNK_KINDS.join('|')})`)
      .option('--under <folder>', 'only files in this folder of the codebase (e.g. src/auth)', nonEmptyPath('--under'))
      .option('-g, --glob <glob>', 'only paths matching this glob; !glob excludes; repeatable (e.g. -g "*.ts" -g "!*.test.ts")', collect)
      .option('--color <when>', 'colour the text output: auto (a terminal without NO_COLOR), always or never', 'auto')
      .option('--files', 'print only the matching files, best first, one per line')
      .option('--json', 'print {"results": [...]} as JSON'),
  ).action(async (query: string, flags: SearchFlags) => {
    const limit = parseCount(flags.limit, '--limit', LIMIT_RANGE);
    // Any case, as --lang.
    const kind = flags.kind?.toLowerCase();
    if (kind !== undefined && !CHUNK_KINDS.includes(kind as ChunkKind)) {
      throw new UsageError(`unknown --kind "${flags.kind}"; use one of ${CHUNK_KINDS.join(', ')}`);
    }
    if (flags.files && flags.json) throw new UsageError('--files and --json do not go together; pick one');
    const color = wantsColor(flags.color, process.stdout.isTTY === true, process.env);
    if (query.trim() === '') throw new UsageError('the query is empty');
    const results = await withService(flags, async (service) => {
      const codebase = await service.locate(flags.path ?? '.');
      const under = narrowest(codebase.root, flags.under, flags.path === undefined ? undefined : await folderOf(codebase.root, flags.path), flags.path);
      const filters = searchFilters({ language: flags.lang, kind, under, globs: flags.glob }, codebase.root);
      if (filters.filter.pathPrefix) await assertFolder(codebase.root, filters.filter.pathPrefix);
      const options: SearchOptions = { limit: flags.files ? limit * RESULTS_PER_FILE : limit, ...filters };
      // A daemon that stopped answering (stopped, hung) is left after its wait; saying so explains the 20 s.
      const found = await service.search(codebase, query, options, { onGone: (why) => process.stderr.write(`codectx: ${why}; searching without it\n`) });
      const building = await service.buildingNote(codebase);
      if (building) process.stderr.write(`codectx: ${building}\n`);
      return found;
    });
    if (flags.json) process.stdout.write(`${JSON.stringify({ results: results.map(toJson) }, null, 2)}\n`);
    else if (flags.files) process.stdout.write(formatFiles(results, limit));
    else process.stdout.write(formatResults(results, query, color));
  });
}

/**
 * `-p src` inside an indexed codebase searches src, as `rg pattern src` does: the index found by walking up
 * holds the whole codebase, and results from outside src came back with no word.
 */
async function folderOf(root: string, path: string): Promise<string | undefined> {
  const folder = (await resolveFolder(path)).root;
  return folder !== root && isInside(root, folder) ? folder : undefined;
}

/**
 * Both filters hold: --under inside --path's folder narrows it, and --path inside --under's folder stays. --under
 * used to replace --path, and `--path src/flask/json --under tests` answered from tests. Folders apart match nothing.
 */
function narrowest(root: string, under: string | undefined, pathFolder: string | undefined, path: string | undefined): string | undefined {
  if (under === undefined || pathFolder === undefined) return under ?? pathFolder;
  const underFolder = resolve(root, under);
  if (isInside(pathFolder, underFolder)) return under;
  if (isInside(underFolder, pathFolder)) return pathFolder;
  throw new UsageError(`--under ${under} is not inside --path ${path}, nor --path inside it: no file is in both`);
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** The --json schema: stable field names for scripts and agents. */
function toJson(result: SearchResult) {
  return {
    file: result.file,
    startLine: result.startLine,
    endLine: result.endLine,
    symbol: result.symbol,
    kind: result.kind,
    container: result.container,
    language: result.language,
    score: Number(result.score.toFixed(6)),
    dense: result.dense,
    keyword: result.keyword,
    content: result.content,
    // Only for a part of a definition split for size: its whole range.
    ...(result.definition && { definition: { startLine: result.definition.startLine, endLine: result.definition.endLine } }),
  };
}
