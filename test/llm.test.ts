import { chmodSync, mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { ConfigError, ConnectionFailedError, ProviderError } from '../src/errors.js';
import { ClaudeCliProvider } from '../src/llm/claudeCli.js';
import { OpenAICompatibleProvider } from '../src/llm/openaiCompatible.js';
import { routedCall } from '../src/llm/routedCall.js';
import { PartialAnswerError } from '../src/llm/types.js';
import { readUsage } from '../src/route/ledger.js';
import { limitedModels, limitsPath } from '../src/route/limits.js';
import { defaultPolicy } from '../src/route/policy.js';
import { serversClosedAfterEach, type ScriptedReply } from './helpers/chatServer.js';
import { env, kimiThenQwen } from './helpers/routedPair.js';

const server = serversClosedAfterEach();

beforeEach(() => {
  process.env.CODECTX_HOME = mkdtempSync(join(tmpdir(), 'codectx-providers-'));
});

describe('OpenAI-compatible provider', () => {
  it('streams pieces in order, sends the key from the named variable and takes the reported usage', async () => {
    const s = await server({ kind: 'stream', pieces: ['Hel', 'lo', ' world'], usage: { prompt_tokens: 42, completion_tokens: 3 } });
    const provider = new OpenAICompatibleProvider({ baseURL: s.baseURL, apiKeyEnv: 'TEST_KIMI_KEY', timeoutMs: 10_000, env });
    const pieces: string[] = [];
    const result = await provider.complete({ model: 'm-1', system: 'sys', prompt: 'hi' }, { onToken: (p) => pieces.push(p) });
    expect(pieces).toEqual(['Hel', 'lo', ' world']);
    expect(result).toEqual({ text: 'Hello world', inputTokens: 42, outputTokens: 3, tokensEstimated: false });
    expect(s.requests[0]!.authorization).toBe('Bearer kimi-secret');
    expect(s.requests[0]!.body.model).toBe('m-1');
    expect(s.requests[0]!.body.messages).toEqual([
      { role: 'system', content: 'sys' },
      { role: 'user', content: 'hi' },
    ]);
  });

  it('estimates tokens when the endpoint reports no usage', async () => {
    const s = await server({ kind: 'stream', pieces: ['abcdefg'] });
    const provider = new OpenAICompatibleProvider({ baseURL: s.baseURL, timeoutMs: 10_000, env });
    const result = await provider.complete({ model: 'm', system: '', prompt: 'x'.repeat(35) });
    expect(result).toMatchObject({ inputTokens: 10, outputTokens: 2, tokensEstimated: true });
  });

  it('names the missing key variable', () => {
    expect(() => new OpenAICompatibleProvider({ baseURL: 'http://127.0.0.1:9/v1', apiKeyEnv: 'NO_SUCH_KEY_VAR', timeoutMs: 1000, env: {} })).toThrow(
      new ConfigError('NO_SUCH_KEY_VAR is not set (the API key for http://127.0.0.1:9/v1)'),
    );
  });

  it('says when the endpoint cannot be reached, as a failed connection the fallback chain goes past', async () => {
    const s = await server();
    await s.close();
    const provider = new OpenAICompatibleProvider({ baseURL: s.baseURL, timeoutMs: 5000, env });
    const error = await provider.complete({ model: 'm', system: '', prompt: 'x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionFailedError);
    expect((error as ProviderError).message).toMatch(/^cannot reach http:\/\/127\.0\.0\.1:\d+\/v1 \(ECONNREFUSED\)$/);
    expect((error as ProviderError).retryable).toBe(true);
  });

  it('marks 429 and 5xx retryable, 401 not, with the key variable named', async () => {
    const s = await server(
      { kind: 'error', status: 429, message: 'Rate limit reached' },
      { kind: 'error', status: 503, message: 'overloaded' },
      { kind: 'error', status: 401, message: 'bad key' },
    );
    const provider = new OpenAICompatibleProvider({ baseURL: s.baseURL, apiKeyEnv: 'TEST_KIMI_KEY', timeoutMs: 5000, env });
    const call = () => provider.complete({ model: 'm', system: '', prompt: 'x' }).catch((e: ProviderError) => e);
    const [limit, down, auth] = [await call(), await call(), await call()];
    expect([limit.retryable, limit.status]).toEqual([true, 429]);
    expect([down.retryable, down.status]).toEqual([true, 503]);
    expect([auth.retryable, auth.message]).toEqual([false, `${s.baseURL} rejected the API key (401; check TEST_KIMI_KEY)`]);
  });
});

describe('OpenAI-compatible provider: a 200 without a readable answer', () => {
  const call = async (...replies: ScriptedReply[]) => {
    const s = await server(...replies);
    const provider = new OpenAICompatibleProvider({ baseURL: s.baseURL, timeoutMs: 5000, env });
    const pieces: string[] = [];
    const error = await provider.complete({ model: 'm', system: '', prompt: 'x' }, { onToken: (p) => pieces.push(p) }).catch((e: unknown) => e);
    return { s, error: error as ProviderError, pieces };
  };

  it('fails, retryable, when the body is not an event stream at all', async () => {
    // Seen: `{not json` with status 200 was an empty answer, billed and recorded.
    const { s, error } = await call({ kind: 'raw', contentType: 'application/json', body: '{not json' });
    expect(error).toBeInstanceOf(ProviderError);
    expect(error.message).toBe(`${s.baseURL} answered with no completion chunks (is it an OpenAI-compatible chat-completions endpoint?)`);
    expect(error.retryable).toBe(true);
  });

  it('fails, retryable, on a completion that is empty or only whitespace, showing none of it', async () => {
    for (const reply of [
      { kind: 'stream', pieces: [], usage: { prompt_tokens: 5, completion_tokens: 0 } },
      { kind: 'stream', pieces: ['  ', '\n'] },
    ] as const) {
      const { s, error, pieces } = await call({ ...reply, pieces: [...reply.pieces] });
      expect([error.message, error.retryable]).toEqual([`${s.baseURL} answered with an empty completion`, true]);
      expect(pieces).toEqual([]);
    }
  });

  it('fails on chunks with no choices, empty or missing', async () => {
    const body = 'data: {"id":"a","choices":[]}\n\ndata: {"id":"b"}\n\ndata: [DONE]\n\n';
    const { s, error } = await call({ kind: 'raw', contentType: 'text/event-stream', body });
    expect([error.message, error.retryable]).toEqual([`${s.baseURL} answered with an empty completion`, true]);
  });

  it('fails in one line, and prints nothing itself, when the stream data is not JSON', async () => {
    const printed = vi.spyOn(console, 'error');
    try {
      const { s, error } = await call({ kind: 'raw', contentType: 'text/event-stream', body: 'data: {not json\n\n' });
      expect(error.message).toMatch(new RegExp(`^${s.baseURL.replace(/[.]/g, '\\.')} sent an unreadable completion stream \\([^\n]+\\)$`));
      expect(error.retryable).toBe(true);
      expect(printed).not.toHaveBeenCalled();
    } finally {
      printed.mockRestore();
    }
  });

  it('holds leading whitespace back until text follows, then passes it on', async () => {
    const s = await server({ kind: 'stream', pieces: [' ', '\n', 'hi', ' there'] });
    const provider = new OpenAICompatibleProvider({ baseURL: s.baseURL, timeoutMs: 5000, env });
    const pieces: string[] = [];
    const result = await provider.complete({ model: 'm', system: '', prompt: 'x' }, { onToken: (p) => pieces.push(p) });
    expect(pieces).toEqual([' \nhi', ' there']);
    expect(result.text).toBe(' \nhi there');
  });
});

describe('routed call with fallback', () => {
  it('retries a 429, falls back along the chain, marks the model limited and records the call', async () => {
    const kimi = await server(
      { kind: 'error', status: 429, message: 'Rate limit reached for model' },
      { kind: 'error', status: 429, message: 'Rate limit reached for model' },
    );
    const qwen = await server({ kind: 'stream', pieces: ['fixed'], usage: { prompt_tokens: 1000, completion_tokens: 200 } });
    const fallbacks: string[] = [];
    const result = await kimiThenQwen(kimi, qwen, {
      system: 'sys',
      prompt: 'make it blue',
      onFallback: (from, to) => fallbacks.push(`${from}→${to}`),
    });
    expect(kimi.requests).toHaveLength(2); // first try + one retry
    expect(qwen.requests[0]!.body.model).toBe('qwen3-coder-plus');
    expect(fallbacks).toEqual(['kimi-k2→qwen3-coder']);
    expect(result.text).toBe('fixed');
    expect(result.model).toBe('qwen3-coder');
    // Qwen below 256K prompt tokens: $3 in, $15 out per million.
    const expectedCost = (1000 * 3 + 200 * 15) / 1e6;
    const ledger = readUsage();
    expect(ledger).toHaveLength(1);
    expect(ledger[0]).toMatchObject({
      category: 'css_tweaks',
      model: 'qwen3-coder',
      inputTokens: 1000,
      outputTokens: 200,
      tokensEstimated: false,
      fallbackFrom: 'kimi-k2',
    });
    expect(ledger[0]!.costUsd).toBeCloseTo(expectedCost, 12);
    expect(existsSync(limitsPath())).toBe(true);
    expect([...limitedModels(defaultPolicy()).keys()]).toEqual(['kimi-k2']);
  });

  it('recovers from a 5xx by retrying the same model', async () => {
    const kimi = await server({ kind: 'error', status: 502, message: 'bad gateway' }, { kind: 'stream', pieces: ['ok'] });
    const qwen = await server();
    const result = await kimiThenQwen(kimi, qwen, {
      decision: { category: 'basic_javascript', model: 'kimi-k2', fallbacks: ['qwen3-coder'], expectedOutputTokens: 600 },
    });
    expect(result.model).toBe('kimi-k2');
    expect(qwen.requests).toHaveLength(0);
    expect(readUsage()[0]!.fallbackFrom).toBeUndefined();
    expect(existsSync(limitsPath())).toBe(false);
  });

  it('falls back past a model that answers 200 with nothing readable, and records only the answer', async () => {
    const garbage = { kind: 'raw', contentType: 'application/json', body: '{not json' } as const;
    const kimi = await server(garbage, garbage);
    const qwen = await server({ kind: 'stream', pieces: ['fixed'], usage: { prompt_tokens: 10, completion_tokens: 1 } });
    const fallbacks: string[] = [];
    const result = await kimiThenQwen(kimi, qwen, { onFallback: (from, to) => fallbacks.push(`${from}→${to}`) });
    expect(kimi.requests).toHaveLength(2);
    expect(fallbacks).toEqual(['kimi-k2→qwen3-coder']);
    expect(result).toMatchObject({ model: 'qwen3-coder', text: 'fixed' });
    expect(readUsage()).toMatchObject([{ model: 'qwen3-coder', fallbackFrom: 'kimi-k2' }]);
    // Not a rate limit: the model is not marked limited for later runs.
    expect(existsSync(limitsPath())).toBe(false);
  });

  it('fails, recording nothing, when no model in the chain gives a readable answer', async () => {
    const kimi = await server({ kind: 'raw', contentType: 'application/json', body: '{not json' });
    const qwen = await server({ kind: 'stream', pieces: ['   '] });
    const error = await kimiThenQwen(kimi, qwen, { retry: { retries: 0, baseDelayMs: 1 } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as Error).message).toBe(
      `no model in the chain answered: kimi-k2: ${kimi.baseURL} answered with no completion chunks ` +
        `(is it an OpenAI-compatible chat-completions endpoint?); qwen3-coder: ${qwen.baseURL} answered with an empty completion`,
    );
    expect(readUsage()).toEqual([]);
  });

  it('does not fall back on errors a fallback cannot fix', async () => {
    const kimi = await server({ kind: 'error', status: 401, message: 'invalid key' });
    const qwen = await server();
    await expect(kimiThenQwen(kimi, qwen)).rejects.toThrow(/rejected the API key \(401; check TEST_KIMI_KEY\)/);
    expect(qwen.requests).toHaveLength(0);
    expect(readUsage()).toEqual([]);
  });
});

function fakeClaude(script: string): NodeJS.ProcessEnv {
  const bin = mkdtempSync(join(tmpdir(), 'codectx-fake-claude-'));
  writeFileSync(join(bin, 'claude'), `#!/bin/sh\n${script}\n`);
  chmodSync(join(bin, 'claude'), 0o755);
  return { ...process.env, PATH: `${bin}:${process.env.PATH}` };
}

describe('routed call past models that cannot be called', () => {
  it('skips a model whose key is not set, with a note, and goes on down the chain', async () => {
    // Seen: kimi answers 429 → qwen3-coder has no key → the call stopped there and claude-sonnet was never tried.
    const kimi = await server({ kind: 'error', status: 429, message: 'Rate limit reached for model' });
    const qwen = await server();
    const withoutQwenKey = { ...fakeClaude('echo "sonnet answered"'), TEST_KIMI_KEY: 'kimi-secret', TEST_QWEN_KEY: undefined };
    const notes: string[] = [];
    const result = await kimiThenQwen(kimi, qwen, {
      decision: { category: 'css_tweaks', model: 'kimi-k2', fallbacks: ['qwen3-coder', 'claude-sonnet'], expectedOutputTokens: 400 },
      system: 's',
      prompt: 'make it blue',
      retry: { retries: 0, baseDelayMs: 1 },
      env: withoutQwenKey,
      onFallback: (from, to) => notes.push(`${from} failed → ${to}`),
      onSkip: (model, to, error) => notes.push(`${model} skipped (${error.message}) → ${to}`),
    });
    expect(notes).toEqual([
      'kimi-k2 failed → qwen3-coder',
      `qwen3-coder skipped (TEST_QWEN_KEY is not set (the API key for ${qwen.baseURL})) → claude-sonnet`,
    ]);
    expect(qwen.requests).toHaveLength(0);
    expect(result).toMatchObject({ model: 'claude-sonnet', text: 'sonnet answered\n' });
    expect(readUsage()).toMatchObject([{ model: 'claude-sonnet', fallbackFrom: 'kimi-k2' }]);
  });

  // QA round 10: fetch refused the header with a message quoting it, and the key's first line went to stderr.
  it('skips a model whose key holds a line break, never showing the key', async () => {
    const kimi = await server();
    const qwen = await server({ kind: 'stream', pieces: ['qwen answered'] });
    const notes: string[] = [];
    const result = await kimiThenQwen(kimi, qwen, {
      env: { ...env, TEST_KIMI_KEY: 'gsk_first1234567890\ngsk_second1234567890\n' },
      onSkip: (model, to, error) => notes.push(`${model} skipped (${error.message}) → ${to}`),
    });
    expect(notes).toEqual([
      'kimi-k2 skipped (TEST_KIMI_KEY holds a line break or another control character, which an HTTP header cannot carry; set it to the key alone) → qwen3-coder',
    ]);
    expect(kimi.requests).toHaveLength(0);
    expect(result).toMatchObject({ model: 'qwen3-coder', text: 'qwen answered' });
  });

  it('names every model and what stopped it when none in the chain can answer', async () => {
    const kimi = await server({ kind: 'error', status: 429, message: 'Rate limit reached for model' });
    const qwen = await server();
    const error = await kimiThenQwen(kimi, qwen, {
      system: 's',
      retry: { retries: 0, baseDelayMs: 1 },
      env: { TEST_KIMI_KEY: 'kimi-secret' },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toBe(
      `no model in the chain answered: kimi-k2: ${kimi.baseURL} answered 429: Rate limit reached for model; ` +
        `qwen3-coder: TEST_QWEN_KEY is not set (the API key for ${qwen.baseURL})`,
    );
    expect(readUsage()).toEqual([]);
  });
});

describe('claude CLI provider (a fake `claude` executable first on PATH)', () => {

  it('runs `claude --model <m> --print` with the prompt on stdin and streams stdout', async () => {
    const fakeEnv = fakeClaude('echo "args: $*"; printf "stdin: "; cat');
    const provider = new ClaudeCliProvider({ timeoutMs: 10_000, env: fakeEnv });
    const pieces: string[] = [];
    const result = await provider.complete({ model: 'opus', system: 'SYSTEM', prompt: 'the task' }, { onToken: (p) => pieces.push(p) });
    expect(result.text).toBe('args: --model opus --print\nstdin: SYSTEM\n\nthe task');
    expect(pieces.join('')).toBe(result.text);
    expect(result.tokensEstimated).toBe(true);
    expect(result.outputTokens).toBe(Math.ceil(result.text.length / 3.5));
  });

  it('turns a usage-limit exit into a retryable 429 so Opus falls back to Sonnet', async () => {
    const fakeEnv = fakeClaude('if [ "$2" = opus ]; then echo "Claude AI usage limit reached" >&2; exit 1; fi; echo "sonnet answered"');
    const result = await routedCall({
      policy: defaultPolicy(),
      decision: { category: 'security_review', model: 'claude-opus', fallbacks: ['claude-sonnet'], expectedOutputTokens: 2000 },
      system: 's',
      prompt: 'review this',
      retry: { retries: 0, baseDelayMs: 1 },
      env: fakeEnv,
    });
    expect(result.text).toBe('sonnet answered\n');
    expect(readUsage()[0]).toMatchObject({ model: 'claude-sonnet', fallbackFrom: 'claude-opus', tokensEstimated: true });
    expect(JSON.parse(readFileSync(limitsPath(), 'utf8'))['claude-opus'].reason).toMatch(/usage limit reached/);
  });

  it('treats a run that prints nothing as a failed call and falls back', async () => {
    const fakeEnv = fakeClaude('if [ "$2" = opus ]; then printf "\\n"; exit 0; fi; echo "sonnet answered"');
    const result = await routedCall({
      policy: defaultPolicy(),
      decision: { category: 'security_review', model: 'claude-opus', fallbacks: ['claude-sonnet'], expectedOutputTokens: 2000 },
      system: 's',
      prompt: 'review this',
      retry: { retries: 0, baseDelayMs: 1 },
      env: fakeEnv,
      onFallback: (from, to, error) => expect(error.message).toBe('claude --model opus answered with no text'),
    });
    expect(result.text).toBe('sonnet answered\n');
    expect(readUsage()).toMatchObject([{ model: 'claude-sonnet', fallbackFrom: 'claude-opus' }]);
  });

  // Seen: a crash after half an answer that mentioned "rate limit" was taken for a usage limit, and Sonnet's answer
  // followed Opus's half on screen; a timeout after output was not in the ledger.
  it('stops, with the partial call in the ledger, when the CLI fails or times out after printing part of an answer', async () => {
    const decision = { category: 'security_review', model: 'claude-opus', fallbacks: ['claude-sonnet'], expectedOutputTokens: 2000 };
    const crash = fakeClaude('if [ "$2" = opus ]; then printf "Add a rate limit to the login route.\\nStep one:\\nThen"; echo "segfault" >&2; exit 139; fi; echo "sonnet answered"');
    const fellBack: string[] = [];
    const call = (env: NodeJS.ProcessEnv, timeoutMs?: number) =>
      routedCall({ policy: defaultPolicy(), decision, system: 's', prompt: 'review this', retry: { retries: 0, baseDelayMs: 1 }, env, timeoutMs, onFallback: (from) => fellBack.push(from) });
    await expect(call(crash)).rejects.toThrow('claude --model opus failed (segfault) mid-answer after 51 characters');
    const slow = fakeClaude('printf "Half an answer"; sleep 5');
    await expect(call(slow, 500)).rejects.toThrow('claude --model opus did not finish within 500 ms mid-answer after 14 characters');
    expect(fellBack).toEqual([]);
    expect(readUsage()).toMatchObject([
      { model: 'claude-opus', incomplete: true, tokensEstimated: true },
      { model: 'claude-opus', incomplete: true, tokensEstimated: true },
    ]);
  });

  // QA round 10: the notice went to the screen before it was known to be one, once per retry, ahead of Sonnet's answer.
  it('falls back on a one-line usage-limit notice printed on stdout, showing only the answer', async () => {
    const fakeEnv = fakeClaude('if [ "$2" = opus ]; then echo "Claude AI usage limit reached|1767225600"; exit 1; fi; echo "sonnet answered"');
    const shown: string[] = [];
    const result = await routedCall({
      onToken: (piece) => shown.push(piece),
      policy: defaultPolicy(),
      decision: { category: 'security_review', model: 'claude-opus', fallbacks: ['claude-sonnet'], expectedOutputTokens: 2000 },
      system: 's',
      prompt: 'review this',
      retry: { retries: 1, baseDelayMs: 1 },
      env: fakeEnv,
    });
    expect(result.text).toBe('sonnet answered\n');
    expect(shown.join('')).toBe('sonnet answered\n');
  });

  it('shows its error line escaped, as answers are shown', async () => {
    const provider = new ClaudeCliProvider({ timeoutMs: 10_000, env: fakeClaude('printf "bad \\033]0;PWNED\\007\\033[31mflag\\n" >&2; exit 2') });
    await expect(provider.complete({ model: 'opus', system: '', prompt: 'x' })).rejects.toThrow(
      'claude --model opus failed: bad \\x1b]0;PWNED\\x07\\x1b[31mflag',
    );
  });

  it('stops the CLI on Ctrl-C, the part shown ending as a partial answer', async () => {
    const provider = new ClaudeCliProvider({ timeoutMs: 10_000, env: fakeClaude('printf "Half an answer"; exec sleep 5') });
    const controller = new AbortController();
    const started = Date.now();
    const shown: string[] = [];
    // A first line is held back until it cannot be a limit notice; Ctrl-C then shows what came.
    setTimeout(() => controller.abort(), 1000);
    const error = await provider
      .complete({ model: 'opus', system: '', prompt: 'x' }, { onToken: (piece) => shown.push(piece), signal: controller.signal })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PartialAnswerError);
    expect((error as Error).message).toBe('claude --model opus was interrupted mid-answer after 14 characters');
    expect(shown.join('')).toBe('Half an answer');
    expect(Date.now() - started).toBeLessThan(4000);
  });

  it('says when the CLI is not installed', async () => {
    const provider = new ClaudeCliProvider({ timeoutMs: 10_000, env: { PATH: mkdtempSync(join(tmpdir(), 'empty-')) } });
    await expect(provider.complete({ model: 'opus', system: '', prompt: 'x' })).rejects.toThrow(
      "'claude' was not found on PATH (install Claude Code, or route Claude through an API endpoint)",
    );
  });
});
