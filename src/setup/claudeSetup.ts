/**
 * What `codectx init` writes: the project config, and with --claude the MCP server (.mcp.json) and the prompt
 * hook (.claude/settings.json). Existing files are merged, never replaced: everything already in them stays,
 * and an entry codectx already has is left as the user made it, except the `npx codectx` entries earlier versions
 * of init wrote, which only ran inside codectx's own checkout.
 */
import { chmod, lstat, mkdir, readFile, readlink, realpath, rename, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { CONFIG_FILE, projectConfigFile } from '../config/config.js';
import { isInside } from '../files/walk.js';
import { ConfigError } from '../errors.js';
import { DEFAULT_HOOK_BUDGET } from '../hook/promptHook.js';
import { shellCommand } from './launcher.js';

const MCP_SERVER_NAME = 'codectx';
/** What earlier versions of init wrote: `npx codectx` fails outside codectx's own checkout, so init replaces it. */
const NPX_MCP_ARGS = ['codectx', 'mcp'];
const NPX_HOOK_COMMAND = 'npx codectx hook user-prompt-submit';
/** Seconds Claude Code waits for the hook; the first run in a session may load the embedding model. */
const HOOK_TIMEOUT_SECONDS = 30;

export interface FileChange {
  /** Relative to the project root, with forward slashes. */
  path: string;
  before?: string;
  after: string;
}

export interface InitPlan {
  changes: FileChange[];
  /** One line per thing already in place. */
  unchanged: string[];
}

type JsonObject = Record<string, unknown>;

/** `root`: the project's real path. `launcher`: the command that runs codectx (findLauncher's), needed with `claude`. */
export async function planInit(root: string, options: { claude: false } | { claude: true; launcher: string[] }): Promise<InitPlan> {
  const plan: InitPlan = { changes: [], unchanged: [] };
  const steps: Array<(root: string) => Promise<Outcome>> = [planProjectConfig];
  if (options.claude) {
    const { launcher } = options;
    steps.push((root) => planMcpServer(root, launcher), (root) => planPromptHook(root, launcher));
  }
  for (const step of steps) {
    const outcome = await step(root);
    if ('unchanged' in outcome) plan.unchanged.push(outcome.unchanged);
    else plan.changes.push(outcome);
  }
  return plan;
}

/**
 * Modes of what init writes into the project, set explicitly: the CLI runs with an owner-only umask (its own files
 * are private), but these are the project's files, shared like any other (an edited file keeps its mode).
 */
const PROJECT_DIR_MODE = 0o755;
const PROJECT_FILE_MODE = 0o644;

export async function applyInit(root: string, plan: InitPlan): Promise<void> {
  for (const change of plan.changes) {
    const file = await projectFile(root, change.path);
    const created = await mkdir(dirname(file), { recursive: true });
    // Every folder mkdir made: from the file's up to the first it created.
    for (let dir = dirname(file); created !== undefined; dir = dirname(dir)) {
      await chmod(dir, PROJECT_DIR_MODE);
      if (dir === created) break;
    }
    const mode = ((await stat(file).catch(() => undefined))?.mode ?? PROJECT_FILE_MODE) & 0o777;
    // Write beside and rename, so an interrupted init never leaves a half-written settings file.
    await writeFile(`${file}.codectx-tmp`, change.after);
    await chmod(`${file}.codectx-tmp`, mode);
    await rename(`${file}.codectx-tmp`, file);
  }
}

type Outcome = FileChange | { unchanged: string };

async function planProjectConfig(root: string): Promise<Outcome> {
  if ((await readText(root, CONFIG_FILE)) !== undefined) {
    // Checked as every command reads it: a broken file is not "set up", and left as it is it stops them all.
    projectConfigFile(root);
    return { unchanged: `${CONFIG_FILE} exists (left as it is)` };
  }
  const config = {
    store: 'lancedb',
    embedding: { provider: 'local' },
    ignore: [],
    hook: { budget: DEFAULT_HOOK_BUDGET },
  };
  return { path: CONFIG_FILE, after: `${JSON.stringify(config, null, 2)}\n` };
}

async function planMcpServer(root: string, launcher: string[]): Promise<Outcome> {
  const path = '.mcp.json';
  const before = await readText(root, path);
  const json = parseObject(before, path);
  const servers = objectAt(json, 'mcpServers', path);
  const existing = servers[MCP_SERVER_NAME];
  if (existing !== undefined && !isNpxServer(existing)) return { unchanged: `${path} already has the ${MCP_SERVER_NAME} MCP server` };
  const [command, ...args] = launcher;
  servers[MCP_SERVER_NAME] = { type: 'stdio', command, args: [...args, 'mcp'], env: {} };
  return { path, before, after: serialize(json, before) };
}

async function planPromptHook(root: string, launcher: string[]): Promise<Outcome> {
  const path = '.claude/settings.json';
  const before = await readText(root, path);
  const json = parseObject(before, path);
  const hooks = objectAt(json, 'hooks', path);
  const groups = (hooks.UserPromptSubmit ??= []);
  if (!Array.isArray(groups)) throw new ConfigError(`"hooks.UserPromptSubmit" in ${path} must be a list`);
  const command = shellCommand([...launcher, 'hook', 'user-prompt-submit']);
  const npxHooks = groups.flatMap(hooksOf).filter((hook) => hook.command === NPX_HOOK_COMMAND);
  if (npxHooks.length > 0) {
    for (const hook of npxHooks) hook.command = command;
    return { path, before, after: serialize(json, before) };
  }
  if (groups.some(runsOurHook)) return { unchanged: `${path} already runs the codectx UserPromptSubmit hook` };
  groups.push({ hooks: [{ type: 'command', command, timeout: HOOK_TIMEOUT_SECONDS }] });
  return { path, before, after: serialize(json, before) };
}

/** A hook group that already calls codectx's prompt hook, however the user spelled the launcher. */
function runsOurHook(group: unknown): boolean {
  return hooksOf(group).some((hook) => typeof hook.command === 'string' && /\bcodectx(\.js)?'?\s+hook\s+user-prompt-submit\b/.test(hook.command));
}

function hooksOf(group: unknown): Array<{ command?: unknown }> {
  const hooks = (group as { hooks?: unknown })?.hooks;
  return Array.isArray(hooks) ? hooks.filter((hook): hook is { command?: unknown } => typeof hook === 'object' && hook !== null) : [];
}

function isNpxServer(entry: unknown): boolean {
  const { command, args } = (entry ?? {}) as { command?: unknown; args?: unknown };
  return command === 'npx' && JSON.stringify(args) === JSON.stringify(NPX_MCP_ARGS);
}

async function readText(root: string, path: string): Promise<string | undefined> {
  const file = await projectFile(root, path);
  if ((await stat(file).catch(() => undefined))?.isDirectory()) throw new ConfigError(`${path} is a folder, not a file; move it away and run init again`);
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * The project file at `path` (relative to the real `root`), refused when the folder it goes in is reached through
 * a link that leaves the project: a cloned repository can ship `.claude` as a link to ~/.claude, and init would
 * edit the user's own settings. (A linked file itself is fine: it is replaced, never written through.)
 */
async function projectFile(root: string, path: string): Promise<string> {
  const file = join(root, path);
  // The nearest folder on the way that exists (init creates the rest inside it), as the link resolves.
  let dir = dirname(file);
  while (dir !== root && !(await lstat(dir).catch(() => undefined))) dir = dirname(dir);
  const real = await realpath(dir).catch(() => undefined);
  if (real !== undefined && isInside(root, real)) return file;
  const link = dir.slice(root.length + 1);
  const target = await readlink(dir).catch(() => undefined);
  throw new ConfigError(
    `${link} is a link to ${real ?? target ?? 'nowhere'}, ${real ? 'outside the project' : 'which does not exist'}; ` +
      `init does not write through it (replace it with a folder and run init again)`,
  );
}

function parseObject(text: string | undefined, path: string): JsonObject {
  if (text === undefined || text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${path} is not valid JSON (${(error as Error).message}); fix it and run init again`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(`${path} must hold a JSON object`);
  }
  return parsed as JsonObject;
}

function objectAt(json: JsonObject, key: string, path: string): JsonObject {
  const value = (json[key] ??= {});
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError(`"${key}" in ${path} must be an object`);
  }
  return value as JsonObject;
}

/** Keeps the file's own indentation, so the diff shows only what codectx added. */
function serialize(json: JsonObject, before: string | undefined): string {
  const indent = before?.match(/^([ \t]+)\S/m)?.[1] ?? 2;
  return `${JSON.stringify(json, null, indent)}\n`;
}
