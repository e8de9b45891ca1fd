/**
 * The route, ask, context and stats commands in-process (commander, real config files, real local model, a
 * loopback chat-completions server standing in for the remote model).
 */
import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { registerAskCommand } from '../src/cli/commands/ask.js';
import { registerContextCommand } from '../src/cli/commands/context.js';
import { registerRouteCommand } from '../src/cli/commands/route.js';
import { registerStatsCommand } from '../src/cli/commands/stats.js';
import { INQUIRY_INSTRUCTION } from '../src/context/prompt.js';
import { ConfigError, IndexStateError, UsageError } from '../src/errors.js';
import { callCostUsd } from '../src/route/cost.js';
import { appendUsage, ledgerPath, readUsage } from '../src/route/ledger.js';
import { markLimited } from '../src/route/limits.js';
import { defaultPolicy } from '../src/route/policy.js';
import { startChatServer, type ChatServer } from './helpers/chatServer.js';
import { writeTrustedConfig } from './helpers/trustedConfig.js';

interface Run {
  stdout: string;
  stderr: string;
  error?: unknown;
}

async function run(args: string[], env: Record<string, string | undefined> = {}): Promise<Run> {
  const program = new Command('codectx').exitOverride();
  registerRouteCommand(program);
  registerContextCommand(program);
  registerAskCommand(program);
  registerStatsCommand(program);
  let stdout = '';
  let stderr = '';
  const spies = [
    vi.spyOn(console, 'log').mockImplementation((...parts: unknown[]) => void (stdout += `${parts.join(' ')}\n`)),
    vi.spyOn(console, 'error').mockImplementation((...parts: unknown[]) => void (stderr += `${parts.join(' ')}\n`)),
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stdout += String(chunk);
      return true;
    }),
  ];
  const saved = Object.fromEntries(Object.keys(env).map((key) => [key, process.env[key]]));
  Object.assign(process.env, env);
  for (const [key, value] of Object.entries(env)) if (value === undefined) delete process.env[key];
  try {
    await program.parseAsync(['node', 'codectx', ...args]);
    return { stdout, stderr };
  } catch (error) {
    return { stdout, stderr, error };
  } finally {
    for (const spy of spies) spy.mockRestore();
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
}

let project: string;
let server: ChatServer | undefined;

beforeEach(() => {
  process.env.CODECTX_HOME = mkdtempSync(join(tmpdir(), 'codectx-cli-home-'));
  delete process.env.CODECTX_MODEL;
  project = mkdtempSync(join(tmpdir(), 'codectx-cli-project-'));
});

afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('codectx route', () => {
  it('--help does not promise that --rules-only loads no model: pre-search of an indexed codebase does', () => {
    // Seen: "skips loading the embedding model", while route --rules-only in an indexed folder took 1.4 s, not 0.6 s.
    const program = new Command('codectx');
    registerRouteCommand(program);
    const help = program.commands[0]!.helpInformation().replace(/\s+/g, ' ');
    expect(help).toContain('--rules-only classify with keyword rules only, not the labelled examples (pre-search of an indexed codebase still loads its embedding model)');
  });

  it('prints exactly the documented JSON keys, with the task alone when the codebase is not indexed', async () => {
    const { stdout, error } = await run(['route', 'Check the comment form for XSS and sanitize the HTML', '--json', '--path', project]);
    expect(error).toBeUndefined();
    const decision = JSON.parse(stdout);
    expect(Object.keys(decision)).toEqual(['category', 'confidence', 'model', 'reason', 'promptTokens', 'contextFits', 'estimatedCostUsd', 'fallbacks']);
    expect(decision).toMatchObject({ category: 'security_review', model: 'claude-opus', contextFits: true, fallbacks: ['claude-sonnet'] });
    expect(decision.reason).toContain("rule: matched 'XSS', 'sanitize'");
    expect(decision.reason).toMatch(/task alone: no usable index: .* is not indexed yet/);
    // Expected output for security_review is 2000 tokens; Opus is $15/$75 per million.
    expect(decision.estimatedCostUsd).toBeCloseTo(callCostUsd(defaultPolicy().models['claude-opus']!, decision.promptTokens, 2000), 12);
  });

  it('applies --model over CODECTX_MODEL over the config `model` over the rules', async () => {
    writeFileSync(join(project, 'codectx.config.json'), JSON.stringify({ model: 'qwen' }));
    const route = async (extra: string[], env: Record<string, string | undefined> = {}) =>
      JSON.parse((await run(['route', 'Make the button darker', '--json', '--rules-only', '--path', project, ...extra], env)).stdout).model;
    expect(await route([])).toBe('qwen3-coder');
    expect(await route([], { CODECTX_MODEL: 'gemini' })).toBe('gemini-2.5-flash');
    expect(await route(['--model', 'opus'], { CODECTX_MODEL: 'gemini' })).toBe('claude-opus');
  });

  // QA round 10: run from the home folder or `/`, route and even `ask --no-context` were refused as "not a codebase".
  it('routes from a folder that is never a codebase, as from one not indexed', async () => {
    const routed = await run(['route', 'Make the button darker with css', '--json', '--rules-only', '--path', '/']);
    expect(routed.error).toBeUndefined();
    expect(JSON.parse(routed.stdout).reason).toContain('task alone: no usable index: / is the filesystem root, not a codebase');
    const asked = await run(['ask', 'Make the button darker with css', '--no-context', '--dry-run', '--path', '/']);
    expect(asked.error).toBeUndefined();
    expect(asked.stdout).toContain('## Pre-search: none (skipped with --no-context)');
  });

  it('rejects an unknown model in one line listing the known ones', async () => {
    const { error } = await run(['route', 'x', '--model', 'gpt-9', '--path', project]);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toBe("unknown model 'gpt-9' (from --model); known: kimi-k2, qwen3-coder, gemini-2.5-flash, claude-sonnet, claude-opus");
  });

  it('prints a readable decision with context fit, cost arithmetic and fallbacks', async () => {
    const { stdout } = await run(['route', 'Center the login card vertically', '--path', project]);
    expect(stdout).toMatch(/^category {5}css_tweaks \(confidence 0\.\d\d\)$/m);
    expect(stdout).toMatch(/^model {8}kimi-k2$/m);
    expect(stdout).toMatch(/^context fit {2}fits: \d+ tokens \(prompt \d+ \+ expected output 400\) of 128K$/m);
    expect(stdout).toMatch(/^est\. cost {4}\$0\.\d+ \(\d+ in × \$1\/M \+ 400 out × \$3\/M\)$/m);
    expect(stdout).toMatch(/^est\. time {4}~2 s to write 400 tokens at ~250 tokens\/s$/m);
    expect(stdout).toMatch(/^fallbacks {4}qwen3-coder → claude-sonnet$/m);
  });
});

describe('codectx ask', () => {
  it('--dry-run prints the routing decision and the exact prompt without calling anything', async () => {
    const { stdout, error } = await run(['ask', 'Review the JWT verification for security issues', '--dry-run', '--path', project]);
    expect(error).toBeUndefined();
    expect(stdout).toMatch(/^route: security_review → claude-opus \(confidence/m);
    // A review asks for an answer from the code, not for Search → Reuse → Extend → Create (issue 17).
    expect(stdout).toContain(`--- system ---\n${INQUIRY_INSTRUCTION}\n--- prompt ---\n## Pre-search: none (no usable index: `);
    expect(stdout).toContain('## Task\nReview the JWT verification for security issues');
    expect(readUsage()).toEqual([]);
  });

  it('streams the routed model\'s answer, redacts secrets before sending, and records the call', async () => {
    server = await startChatServer([{ kind: 'stream', pieces: ['Use ', 'darker blue.'], usage: { prompt_tokens: 900, completion_tokens: 40 } }]);
    writeTrustedConfig(project, { routing: { models: { 'kimi-k2': { baseURL: server.baseURL, apiKeyEnv: 'TEST_GROQ_KEY' } } } }, process.env.CODECTX_HOME!);
    const task = 'Make the submit button hover color darker; the stylesheet loader uses password = "hunter2-prod"';
    const { stdout, stderr, error } = await run(['ask', task, '--no-context', '--path', project], { TEST_GROQ_KEY: 'k' });
    expect(error).toBeUndefined();
    expect(stdout).toBe('Use darker blue.\n');
    expect(stderr).toContain('codectx: css_tweaks → kimi-k2; no pre-search (skipped with --no-context); redacted 1 secret: password ×1');
    expect(stderr).toMatch(/kimi-k2 · 900 in \/ 40 out tokens · \$0\.0010 · \d+\.\d s/);
    const sent = server.requests[0]!.body.messages[1]!.content;
    expect(sent).toContain('password = "[REDACTED:password]"');
    expect(sent).not.toContain('hunter2-prod');
    expect(sent).toContain('## Pre-search: none (skipped with --no-context)');
    expect(readUsage()).toMatchObject([{ model: 'kimi-k2', category: 'css_tweaks', inputTokens: 900, outputTokens: 40, costUsd: 0.00102 }]);

    const stats = JSON.parse((await run(['stats', '--json', '--since', '1h'])).stdout);
    expect(stats.total).toEqual({ calls: 1, inputTokens: 900, outputTokens: 40, costUsd: 0.00102 });
    // The same tokens at Opus prices: 900 × $15/M + 40 × $75/M.
    expect(stats.allOpusCostUsd).toBeCloseTo(0.0165, 12);
    expect(stats.savingsUsd).toBeCloseTo(0.0165 - 0.00102, 12);
  });

  it('escapes control characters in the answer, keeping its lines and tabs', async () => {
    // Seen: an answer shaped by indexed code set the terminal's title and colours (ESC, OSC ... BEL went through raw).
    server = await startChatServer([
      { kind: 'stream', pieces: ['Hello \x1b[31mRED\x1b[0m ', '\x1b]0;pwned\x07', '\x1b]52;c;ZWNobyBoaQ==\x07\n', '\tdone\u009b2J\rfake\n'] },
    ]);
    writeTrustedConfig(project, { routing: { models: { 'kimi-k2': { baseURL: server.baseURL, apiKeyEnv: 'TEST_GROQ_KEY' } } } }, process.env.CODECTX_HOME!);
    const { stdout, error } = await run(['ask', 'Make the submit button hover color darker', '--no-context', '--path', project], { TEST_GROQ_KEY: 'k' });
    expect(error).toBeUndefined();
    expect(stdout).toBe('Hello \\x1b[31mRED\\x1b[0m \\x1b]0;pwned\\x07\\x1b]52;c;ZWNobyBoaQ==\\x07\n\tdone\\x9b2J\\rfake\n');
  });

  it('says why it passed over a model remembered at its limit, as route does', async () => {
    // Seen: stderr said only "inline_comments → claude-sonnet", and the reason was in `codectx route` alone.
    server = await startChatServer([{ kind: 'stream', pieces: ['Done.'] }]);
    writeTrustedConfig(project, { routing: { models: { 'qwen3-coder': { baseURL: server.baseURL, apiKeyEnv: 'TEST_QWEN_KEY' } } } }, process.env.CODECTX_HOME!);
    markLimited('kimi-k2', '429: Rate limit reached for requests');
    const { stdout, stderr, error } = await run(['ask', 'Make the submit button hover color darker', '--no-context', '--path', project], { TEST_QWEN_KEY: 'k' });
    expect(error).toBeUndefined();
    expect(stdout).toBe('Done.\n');
    expect(stderr).toContain(
      'codectx: css_tweaks → qwen3-coder (kimi-k2 at its limit (429: Rate limit reached for requests) → qwen3-coder); no pre-search (skipped with --no-context)\n',
    );
    expect(server.requests).toHaveLength(1);
  });

  it('ends a broken-off answer\'s line before the error, which names the endpoint, and records the billed call', async () => {
    // Seen: "Use darkercodectx: terminated" on one line, and no ledger line for tokens the provider billed.
    server = await startChatServer([{ kind: 'drop', pieces: ['Use ', 'darker'] }]);
    writeTrustedConfig(project, { routing: { models: { 'kimi-k2': { baseURL: server.baseURL, apiKeyEnv: 'TEST_GROQ_KEY' } } } }, process.env.CODECTX_HOME!);
    const { stdout, error } = await run(['ask', 'Make the submit button hover color darker', '--no-context', '--path', project], { TEST_GROQ_KEY: 'k' });
    expect(stdout).toBe('Use darker\n');
    expect((error as Error).message).toBe(`${server.baseURL} closed the stream mid-answer after 10 characters (terminated)`);
    expect(readUsage()).toMatchObject([{ model: 'kimi-k2', outputTokens: 3, tokensEstimated: true, incomplete: true }]);
    expect((await run(['stats'])).stdout).toMatch(/^total {8}1 call, .*; 0 answered by a fallback; 1 broken off mid-answer$/m);
  });

  it('prints the answer of a server that ignores `stream: true`', async () => {
    server = await startChatServer([{ kind: 'completion', content: 'Use darker blue.', usage: { prompt_tokens: 900, completion_tokens: 40 } }]);
    writeTrustedConfig(project, { routing: { models: { 'kimi-k2': { baseURL: server.baseURL, apiKeyEnv: 'TEST_GROQ_KEY' } } } }, process.env.CODECTX_HOME!);
    const { stdout, stderr, error } = await run(['ask', 'Make the submit button hover color darker', '--no-context', '--path', project], { TEST_GROQ_KEY: 'k' });
    expect(error).toBeUndefined();
    expect(stdout).toBe('Use darker blue.\n');
    expect(stderr).toMatch(/kimi-k2 · 900 in \/ 40 out tokens · /);
  });

  it('says what does not fit a forced model\'s window: the prompt and the expected output, counted apart', async () => {
    // Seen: "the prompt (40 tokens) does not fit kimi-k2's window", when the expected output was what did not fit.
    writeFileSync(join(project, 'codectx.config.json'), JSON.stringify({ routing: { expectedOutputTokens: { css_tweaks: 140000 } } }));
    const { error } = await run(['ask', 'Make the submit button hover color darker', '--no-context', '--model', 'kimi', '--path', project]);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toMatch(
      /^\d+ tokens \(prompt \d+ \+ expected output 140000\) do not fit kimi-k2's 128K window; lower the pre-search budget, use --no-context or another --model$/,
    );
  });

  it('refuses a wrong type under routing.models in one line, naming the key, before calling anything', async () => {
    // Seen: `codectx: 5: baseURL.endsWith is not a function`, from inside the SDK.
    writeFileSync(join(project, 'codectx.config.json'), JSON.stringify({ routing: { models: { 'kimi-k2': { baseURL: 5 } } } }));
    const { error, stdout } = await run(['ask', 'fix the css of the button', '--no-context', '--path', project], { GROQ_API_KEY: 'x' });
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toBe(`${join(project, 'codectx.config.json')}: "routing.models.kimi-k2.baseURL" expected string, received number`);
    expect(stdout).toBe('');
    expect(readUsage()).toEqual([]);
  });

  it('names the missing key variable when the routed model has no key, after trying the rest of the chain', async () => {
    // No key for Kimi nor Qwen, and no `claude` on PATH: each model is skipped with a note, then one line names all three.
    const noClaude = mkdtempSync(join(tmpdir(), 'codectx-no-claude-'));
    const { error, stderr } = await run(['ask', 'Center the login card vertically', '--no-context', '--path', project], {
      GROQ_API_KEY: undefined,
      DASHSCOPE_API_KEY: undefined,
      PATH: noClaude,
    });
    expect(stderr).toContain('codectx: kimi-k2 skipped (GROQ_API_KEY is not set (the API key for https://api.groq.com/openai/v1)); trying qwen3-coder');
    expect(stderr).toContain('codectx: qwen3-coder skipped (DASHSCOPE_API_KEY is not set');
    expect((error as Error).message).toMatch(
      /^no model in the chain answered: kimi-k2: GROQ_API_KEY is not set \(the API key for https:\/\/api\.groq\.com\/openai\/v1\); qwen3-coder: DASHSCOPE_API_KEY is not set .*; claude-sonnet: 'claude' was not found on PATH/,
    );
  });
});

describe('codectx context and stats', () => {
  it('context says how to index when the codebase has no index', async () => {
    const { error } = await run(['context', 'hash a password', '--path', project]);
    expect(error).toBeInstanceOf(IndexStateError);
    expect((error as Error).message).toMatch(/^no usable index: .* is not indexed yet; run `codectx index .*` first$/);
  });

  it('stats prints every dollar figure to the same places, small ones to 4, and the savings line adds up', async () => {
    // One Kimi call, 1000 in / 12 out: $0.001036 spent; at Opus prices $0.0159. Printed before: "all-Opus $0.02 …
    // saved $0.01 (94%)" beside "$0.00104" spent.
    const kimi = defaultPolicy().models['kimi-k2']!;
    const time = new Date().toISOString();
    appendUsage({ time, category: 'css_tweaks', model: 'kimi-k2', inputTokens: 1000, outputTokens: 12, tokensEstimated: false, costUsd: callCostUsd(kimi, 1000, 12), latencyMs: 5 });
    const { stdout, error } = await run(['stats']);
    expect(error).toBeUndefined();
    expect(stdout).toMatch(/^kimi-k2 +1 +1000 +12 +\$0\.0010$/m);
    expect(stdout).toContain('total        1 call, $0.0010 ($0.0010/day over 1 day); 0 answered by a fallback\n');
    expect(stdout).toContain('all-Opus     $0.0159 ($0.0159/day) for the same tokens\n');
    expect(stdout).toContain('saved        $0.0149 (94%)\n');
  });

  it('stats skips ledger lines of another shape, with one warning that counts them', async () => {
    // Such a line printed "$NaN" and a category named "undefined" (nulls with --json).
    const kimi = defaultPolicy().models['kimi-k2']!;
    appendUsage({ time: new Date().toISOString(), category: 'css_tweaks', model: 'kimi-k2', inputTokens: 1000, outputTokens: 12, tokensEstimated: false, costUsd: callCostUsd(kimi, 1000, 12), latencyMs: 5 });
    appendFileSync(ledgerPath(), '{"time":"x","model":5}\n["not", "a", "record"]\n');
    const text = await run(['stats']);
    expect(text.error).toBeUndefined();
    expect(text.stdout).not.toMatch(/NaN|undefined|null/);
    expect(text.stdout).toContain('total        1 call, $0.0010');
    expect(text.stderr).toBe(`codectx: skipped 2 malformed lines of ${ledgerPath()}\n`);
    const json = await run(['stats', '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ total: { calls: 1, inputTokens: 1000, outputTokens: 12 }, byCategory: { css_tweaks: { calls: 1 } } });
    expect(Object.keys(JSON.parse(json.stdout).byModel)).toEqual(['kimi-k2']);
    expect(json.stderr).toBe(`codectx: skipped 2 malformed lines of ${ledgerPath()}\n`);
  });

  // QA round 10: a call of a model named `constructor` or `__proto__` was summed into Object's members, not a row;
  // a name with an escape sequence drove the terminal.
  it('stats gives every name read from the ledger a row of its own, escaped', async () => {
    const call = { time: new Date().toISOString(), inputTokens: 10, outputTokens: 1, tokensEstimated: false, costUsd: 0.01, latencyMs: 5 };
    appendUsage({ ...call, category: 'constructor', model: '__proto__' });
    appendUsage({ ...call, category: 'toString', model: 'evil\u001b]0;pwned\u0007' });
    const text = await run(['stats']);
    expect(text.stdout).toMatch(/^__proto__ +1 +10 +1 +\$0\.0100$/m);
    expect(text.stdout).toMatch(/^evil\\x1b\]0;pwned\\x07 +1 /m);
    expect(text.stdout).toMatch(/^constructor +1 /m);
    expect(text.stdout).toMatch(/^toString +1 /m);
    expect(text.stdout).not.toContain('\u001b');
    const json = JSON.parse((await run(['stats', '--json'])).stdout);
    expect(Object.keys(json.byModel)).toEqual(['__proto__', 'evil\u001b]0;pwned\u0007']);
    expect(json.byCategory.constructor).toMatchObject({ calls: 1 });
  });

  it('context takes --budget as plain digits in its range only', async () => {
    for (const budget of ['1e9', '0x200', ' 300', '199', '100001']) {
      const { error } = await run(['context', 'hash a password', '--budget', budget, '--path', project]);
      expect(error, budget).toBeInstanceOf(UsageError);
      expect((error as Error).message).toBe(`--budget must be an integer from 200 to 100000, got "${budget}"`);
    }
  });

  it('stats says when nothing is recorded and rejects a bad --since', async () => {
    expect((await run(['stats'])).stdout).toMatch(/^no model calls recorded \(.*usage\.jsonl\)$/m);
    expect(((await run(['stats', '--since', 'lately'])).error as Error).message).toBe(
      "--since must be a duration like 7d, 12h, 30m or a date like 2026-11-01, got 'lately'",
    );
  });
});
