/**
 * Pre-search on a real index: the fixture codebase indexed by the built CLI (real chunker, local model,
 * LanceDB), then `ask --dry-run`, `context` and `route` in-process on it.
 */
import { Command } from 'commander';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { registerAskCommand } from '../src/cli/commands/ask.js';
import { registerContextCommand } from '../src/cli/commands/context.js';
import { registerRouteCommand } from '../src/cli/commands/route.js';
import { fixtureWorkspace, runCli } from './helpers/cli.js';

async function run(args: string[]): Promise<string> {
  const program = new Command('codectx').exitOverride();
  registerAskCommand(program);
  registerContextCommand(program);
  registerRouteCommand(program);
  let stdout = '';
  const spies = [
    vi.spyOn(console, 'log').mockImplementation((...parts: unknown[]) => void (stdout += `${parts.join(' ')}\n`)),
    vi.spyOn(console, 'error').mockImplementation(() => undefined),
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stdout += String(chunk);
      return true;
    }),
  ];
  try {
    await program.parseAsync(['node', 'codectx', ...args]);
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
  return stdout;
}

describe('pre-search on an indexed codebase', () => {
  let repo: string;
  let home: string;

  beforeAll(async () => {
    const workspace = await fixtureWorkspace();
    repo = workspace.repo;
    home = workspace.home;
    process.env.CODECTX_HOME = workspace.home;
    const indexed = await runCli(['index', repo], { home: workspace.home });
    expect(indexed.code, indexed.stderr).toBe(0);
  });

  it('ask --dry-run puts the retrieved function and a Reuse verdict in the prompt', async () => {
    const out = await run(['ask', 'hash a new password with bcrypt before saving the user', '--dry-run', '--path', repo]);
    expect(out).toMatch(/^Verdict: REUSE: function hashPassword in src\/auth\/password\.ts:\d+-\d+ already does this \(similarity 0\.\d\d ≥ reuse threshold 0\.50\)/m);
    expect(out).toMatch(/^### src\/auth\/password\.ts:\d+-\d+ .*hashPassword/m);
    expect(out).toContain("if (password.length < 12) throw new Error('password too short');");
    expect(out).not.toContain('renderChart'); // unrelated code stays out
    expect(out.indexOf('## Pre-search')).toBeLessThan(out.indexOf('## Task\nhash a new password'));
  });

  it('context --json gives Extend for a task next to existing code and Create for an unrelated one', async () => {
    const extend = JSON.parse(await run(['context', 'add a pie chart next to the bar chart', '--json', '--path', repo]));
    expect(extend.verdict).toMatchObject({ kind: 'extend', target: { symbol: 'renderChart', file: 'src/ui/chart.js' } });
    const create = JSON.parse(await run(['context', 'resize uploaded images to thumbnails', '--json', '--path', repo]));
    expect(create.verdict.kind).toBe('create');
    expect(create.verdict.evidence).toContain('searched: "resize uploaded images to thumbnails"');
  });

  it('context honours --budget by dropping the least valuable snippets', async () => {
    const full = JSON.parse(await run(['context', 'check the login password and the session token', '--json', '--path', repo]));
    const tight = JSON.parse(await run(['context', 'check the login password and the session token', '--json', '--budget', '250', '--path', repo]));
    expect(full.snippets.length).toBeGreaterThan(tight.snippets.length);
    expect(tight.tokens).toBeLessThanOrEqual(250);
    expect(tight.dropped).toBeGreaterThan(0);
  });

  it('route counts the pre-search block in the prompt', async () => {
    const decision = JSON.parse(await run(['route', 'hash a new password with bcrypt before saving the user', '--json', '--path', repo]));
    expect(decision.reason).toMatch(/task \+ pre-search: \d+ snippets?, verdict REUSE/);
    expect(decision.promptTokens).toBeGreaterThan(200);
  });

  it('the built CLI finds its policy file next to the compiled code (dist/route/policy.default.json)', async () => {
    const result = await runCli(['route', 'Center the login card vertically', '--json', '--rules-only', '--path', repo], { home });
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ category: 'css_tweaks', model: 'kimi-k2', contextFits: true });
  });
});
