/**
 * Claude Code's UserPromptSubmit hook: Claude Code sends the prompt as JSON on stdin; what the hook returns as
 * `hookSpecificOutput.additionalContext` (exit 0) is added to the model's context before it reads the prompt.
 */
import { loadConfig } from '../config/config.js';
import type { ConfigFile } from '../config/fileSchema.js';
import { IndexStateError, UsageError } from '../errors.js';
import type { Codebase } from '../index/codebase.js';
import { redactSecrets } from '../redact/redact.js';
import type { SearchOptions } from '../search/searcher.js';
import type { SearchResult } from '../search/types.js';
import { taskContext } from '../context/taskContext.js';
import { echoed } from '../text.js';

/** The fields of Claude Code's hook input codectx reads (it also sends transcript_path, permission_mode, ...). */
export interface UserPromptSubmitInput {
  session_id?: string;
  cwd?: string;
  hook_event_name?: string;
  prompt: string;
}

/** Pre-search budget of the hook when the project sets no `hook.budget`: small, it rides along every prompt. */
export const DEFAULT_HOOK_BUDGET = 1500;
/** Prompts with fewer words are acknowledgements ("yes", "go on"), not tasks worth a search. */
const MIN_PROMPT_WORDS = 4;
/** Long prompts (pasted logs, files) are searched by their start; the rest adds noise, not precision. */
const MAX_QUERY_CHARS = 1000;

export function parseHookInput(text: string): UserPromptSubmitInput {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new UsageError('hook input is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || typeof (parsed as { prompt?: unknown }).prompt !== 'string') {
    throw new UsageError('hook input has no "prompt" string');
  }
  // A cwd that is not a string reached path.resolve, and the log got Node's "paths[0]" TypeError.
  for (const field of ['cwd', 'session_id'] as const) {
    const value = (parsed as Record<string, unknown>)[field];
    if (value !== undefined && typeof value !== 'string') {
      throw new UsageError(`hook input has a "${field}" that is not a string (${value === null ? 'null' : typeof value})`);
    }
  }
  const input = parsed as UserPromptSubmitInput;
  if (input.hook_event_name !== undefined && input.hook_event_name !== 'UserPromptSubmit') {
    throw new UsageError(`hook input is for ${String(input.hook_event_name)}, not UserPromptSubmit`);
  }
  return input;
}

// Words as Unicode splits them: Chinese and Japanese write no spaces between words.
const WORDS = new Intl.Segmenter(undefined, { granularity: 'word' });

/** Slash commands and short replies carry no task to search for. */
export function worthSearching(prompt: string): boolean {
  const text = prompt.trim();
  if (text.startsWith('/')) return false;
  let words = 0;
  for (const segment of WORDS.segment(text)) if (segment.isWordLike && ++words >= MIN_PROMPT_WORDS) return true;
  return false;
}

export function searchQuery(prompt: string): string {
  const text = prompt.trim();
  return text.length <= MAX_QUERY_CHARS ? text : text.slice(0, MAX_QUERY_CHARS);
}

/** `hook.budget` from codectx.config.json (checked when the file was read), in tokens. */
export function hookBudget(project: ConfigFile): number {
  return project.hook?.budget ?? DEFAULT_HOOK_BUDGET;
}

/**
 * The documented JSON form of UserPromptSubmit output that adds context without blocking the prompt. The context
 * goes to Claude's servers, so it is redacted (the pre-search block already is, to fit its budget; redacting it
 * again changes nothing).
 */
export async function hookOutput(context: string): Promise<string> {
  const additionalContext = (await redactSecrets(context)).text;
  return `${JSON.stringify({ hookSpecificOutput: { hookEventName: 'UserPromptSubmit', additionalContext } })}\n`;
}

/** What the hook needs of the codebase's index. */
export interface HookIndex {
  search(codebase: Codebase, query: string, options: SearchOptions): Promise<SearchResult[]>;
  /** The indexed codebase that holds `start`, walking up. */
  indexedAbove(start: string): Promise<Codebase | undefined>;
  /** Why the index covers only part of the codebase (a first build under way), if it does. */
  buildingNote(codebase: Codebase): Promise<string | undefined>;
}

/** The pre-search block for one prompt; undefined for prompts not worth a search (short, slash commands). */
export async function userPromptContext(input: UserPromptSubmitInput, index: HookIndex): Promise<string | undefined> {
  if (!worthSearching(input.prompt)) return undefined;
  const start = input.cwd ?? process.env.CLAUDE_PROJECT_DIR ?? process.cwd();
  // Claude Code may have moved into a subfolder of the project it was started in.
  const codebase = await index.indexedAbove(start);
  if (!codebase) throw new IndexStateError(`no index for ${start} or its parents; run \`codectx index\` there`);
  const config = loadConfig(codebase.root);
  const searchThisCodebase = (query: string, options: SearchOptions) => index.search(codebase, query, options);
  // Shortened after redaction: a secret cut short at 200 characters is one no rule knows any more.
  const task = echoed((await redactSecrets(input.prompt)).text);
  const block = await taskContext(config, task, hookBudget(config.project), searchThisCodebase, searchQuery(input.prompt));
  // During a first build a CREATE verdict only says the code is not indexed yet.
  const note = await index.buildingNote(codebase);
  return note ? `${block.text.trimEnd()}\n\nNote: ${note}.` : block.text;
}
