/**
 * The MCP tools. index_codebase, search_code, get_indexing_status and clear_index keep the names and parameters
 * of the zilliztech claude-context MCP server, so an existing client configuration switches over unchanged (its
 * splitter, customExtensions, ignorePatterns and extensionFilter are honoured or refused in one line, never
 * dropped); get_task_context and route_task add codectx's pre-search and routing.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { describeError } from '../errors.js';
import { redactSecrets } from '../redact/redact.js';
import { resolveLanguage } from '../search/filters.js';
import { checkCustomExtensions, checkIgnorePatterns, extensionGlobs, splitterNote } from './compat.js';
import { formatIndexingStatus, formatSearchResults } from './format.js';
import type { McpBackend } from './backend.js';
import { formatRoute } from './routeTask.js';
import { printable } from '../text.js';
import { BUDGET_TOKENS } from '../config/sections.js';

const MAX_SEARCH_RESULTS = 50;
/**
 * Longest list an argument may hold: far more than any real use, and a bound on the work one call can ask for
 * (50,000 extensions held the daemon, and every codebase's searches and saves with it, for 45 s).
 */
const MAX_LIST_ITEMS = 100;
const listOf = (what: string) => z.array(z.string().max(1000)).max(MAX_LIST_ITEMS, `at most ${MAX_LIST_ITEMS} ${what}`);

export function registerCodectxTools(server: McpServer, backend: McpBackend): void {
  const cwd = process.cwd();
  const pathParameter = (what: string) =>
    z.string().describe(`ABSOLUTE path to the codebase directory ${what}. The current working directory is ${cwd}.`);

  server.registerTool(
    'index_codebase',
    {
      description:
        'Index a codebase directory for semantic code search (functions, classes and methods; meaning and keywords). ' +
        'Indexing runs in the background and is incremental: only new or changed files are embedded. ' +
        'Returns at once; call get_indexing_status to follow progress. Use force only to rebuild from scratch.',
      inputSchema: {
        path: pathParameter('to index'),
        force: z.boolean().optional().describe('Drop the existing index and rebuild it from scratch'),
        splitter: z
          .string()
          .optional()
          .describe('"ast" or "langchain"; codectx always splits along the syntax tree (tree-sitter), and says so'),
        customExtensions: listOf('extensions')
          .optional()
          .describe('Extensions to index, e.g. [".vue"]; codectx indexes a fixed set and refuses others, naming the set'),
        ignorePatterns: listOf('patterns')
          .optional()
          .describe('gitignore-style patterns to leave out of this run, added to .gitignore and codectx.config.json "ignore"'),
      },
    },
    (args) =>
      answer(async () => {
        const note = splitterNote(args.splitter);
        checkCustomExtensions(args.customExtensions);
        const ignore = args.ignorePatterns?.filter((pattern) => pattern.trim() !== '');
        checkIgnorePatterns(ignore);
        const started = await backend.startIndexing(args.path, { force: args.force ?? false, ignore });
        const root = printable(started.root);
        const ignored = ignore?.length
          ? ` ignorePatterns (${printable(ignore.join(', '))}) apply to this run only: a later run, or the daemon's next walk of the whole tree (within 10 minutes) if it watches this codebase, indexes those files again; to keep them out, add them to "ignore" in codectx.config.json.`
          : '';
        return started.outcome === 'started'
          ? `Started ${args.force ? 'rebuilding' : 'indexing'} ${root} in the background.${note}${ignored} Call get_indexing_status to follow progress; search_code already works on what is indexed.`
          : `Indexing of ${root} is already running.${note} Call get_indexing_status to follow progress.`;
      }),
  );

  server.registerTool(
    'search_code',
    {
      description:
        'Search an indexed codebase in natural language or by identifiers (hybrid: meaning + keywords). ' +
        'Returns the matching functions, classes and methods as `path:start-end symbol` with their code. ' +
        'If the codebase is not indexed, the answer says so: call index_codebase first.',
      inputSchema: {
        path: pathParameter('to search in (a folder inside an indexed codebase searches only that folder)'),
        query: z.string().min(1).describe('What you are looking for, in words or identifiers'),
        limit: z
          .number()
          .int()
          .min(1)
          .max(MAX_SEARCH_RESULTS)
          .optional()
          .describe(`Maximum number of results (default 10, at most ${MAX_SEARCH_RESULTS})`),
        language: z.string().optional().describe('Only code of this language: a name or an extension, e.g. typescript, ts, python, py, javascript'),
        extensionFilter: listOf('extensions')
          .optional()
          .describe('Only files with these extensions, e.g. [".ts", ".py"]'),
      },
    },
    (args) =>
      answer(async () => {
        const { root, results, note } = await backend.search(args.path, args.query, {
          limit: args.limit ?? 10,
          filter: args.language ? { language: resolveLanguage(args.language) } : undefined,
          globs: args.extensionFilter?.length ? extensionGlobs(args.extensionFilter) : undefined,
        });
        // Echoed shortened, so redacted first: a token cut in two is one no rule knows.
        const text = formatSearchResults(results, (await redactSecrets(args.query)).text, root);
        return note ? `${text}\n\nNote: ${note}.` : text;
      }),
  );

  server.registerTool(
    'get_indexing_status',
    {
      description:
        'Get the indexing status of a codebase: progress (files and chunks done of total, percentage) while indexing, ' +
        'counts when done, or the last error.',
      inputSchema: { path: pathParameter('to check') },
    },
    (args) => answer(async () => formatIndexingStatus(await backend.indexingStatus(args.path))),
  );

  server.registerTool(
    'clear_index',
    {
      description: "Delete a codebase's index (stops indexing in progress first). Call index_codebase to build it again.",
      inputSchema: { path: pathParameter('to clear') },
    },
    (args) =>
      answer(async () => {
        const cleared = await backend.clear(args.path);
        const root = printable(cleared.root);
        if (!cleared.cleared) return `${root} has no index; nothing to clear.`;
        return `Cleared the index of ${root}${cleared.clearedChunks === undefined ? '' : ` (${cleared.clearedChunks} chunks)`}.`;
      }),
  );

  server.registerTool(
    'get_task_context',
    {
      description:
        'Before writing code for a task, get the existing code relevant to it and a verdict: REUSE (code that already ' +
        'does it), EXTEND (close code to adapt) or CREATE (nothing close; follow the conventions shown). ' +
        'Returns a block of `path:start-end symbol` snippets within a token budget.',
      inputSchema: {
        path: pathParameter('the task is about'),
        task: z.string().min(1).describe('The task, as the user described it'),
        budget: z
          .number()
          .int()
          .min(BUDGET_TOKENS.min)
          .max(BUDGET_TOKENS.max)
          .optional()
          .describe(`Token budget for the block, ${BUDGET_TOKENS.min} to ${BUDGET_TOKENS.max} (default from codectx.config.json, else 4000)`),
      },
    },
    (args) =>
      answer(async () => {
        const { block, note } = await backend.taskContext(args.path, args.task, args.budget);
        return note ? `${block.text.trimEnd()}\n\nNote: ${note}.` : block.text;
      }),
  );

  server.registerTool(
    'route_task',
    {
      description:
        'Decide which model a coding task should go to: its category, the chosen model with the reason, ' +
        'fallbacks, whether the prompt fits the context window, and the estimated cost.',
      inputSchema: { task: z.string().min(1).describe('The task, as the user described it') },
    },
    (args) => answer(async () => formatRoute(await backend.route(args.task, cwd))),
  );
}

/**
 * Expected failures (not indexed, bad path) become an error answer the model can read and act on (paths in it
 * escaped, as in answers). Every answer goes to an agent's model, off this machine: secrets are redacted first,
 * in snippets and in errors alike (a provider's error may quote a key, a config error the value it refuses).
 */
async function answer(work: () => Promise<string>): Promise<CallToolResult> {
  try {
    return { content: [{ type: 'text', text: (await redactSecrets(await work())).text }] };
  } catch (error) {
    return { content: [{ type: 'text', text: printable((await redactSecrets(describeError(error))).text) }], isError: true };
  }
}
