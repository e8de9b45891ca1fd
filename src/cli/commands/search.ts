import type { Command } from 'commander';
import { CHUNK_KINDS, type ChunkKind } from '../../chunk/types.js';
import { loadConfig } from '../../config/config.js';
import { searchThroughDaemon } from '../../daemon/route.js';
import { UsageError } from '../../errors.js';
import { resolveCodebase } from '../../index/codebase.js';
import type { SearchResult } from '../../search/types.js';
import { addStoreOptions, parsePositiveInt, withRuntime, type StoreFlags } from '../shared.js';
import { formatResults } from '../formatResults.js';

interface SearchFlags extends StoreFlags {
  path: string;
  limit: string;
  lang?: string;
  kind?: string;
  under?: string;
  json?: boolean;
}

export function registerSearchCommand(program: Command): void {
  addStoreOptions(
    program
      .command('search')
      .description('hybrid search (meaning + keywords) of an indexed codebase')
      .argument('<query>', 'what you are looking for, in words or identifiers')
      .option('-p, --path <dir>', 'codebase root', '.')
      .option('-n, --limit <n>', 'number of results', '10')
      .option('--lang <language>', 'only chunks of this language (e.g. typescript, python)')
      .option('--kind <kind>', `only chunks of this kind (${CHUNK_KINDS.join('|')})`)
      .option('--under <prefix>', 'only files under this relative path (e.g. src/auth/)')
      .option('--json', 'print {"results": [...]} as JSON'),
  ).action(async (query: string, flags: SearchFlags) => {
    const limit = parsePositiveInt(flags.limit, '--limit');
    if (flags.kind && !CHUNK_KINDS.includes(flags.kind as ChunkKind)) {
      throw new UsageError(`unknown --kind "${flags.kind}"; use one of ${CHUNK_KINDS.join(', ')}`);
    }
    if (query.trim() === '') throw new UsageError('the query is empty');
    const options = { limit, filter: { language: flags.lang, kind: flags.kind, pathPrefix: flags.under } };
    // The daemon answers with the model already loaded; without one (or with other settings) search here.
    const { root } = await resolveCodebase(flags.path);
    const results =
      (await searchThroughDaemon(root, loadConfig(root, flags), query, options)) ??
      (await withRuntime(flags.path, flags, (codebase, runtime) => runtime.search(codebase, query, options)));
    process.stdout.write(flags.json ? `${JSON.stringify({ results: results.map(toJson) }, null, 2)}\n` : formatResults(results, query));
  });
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
  };
}
