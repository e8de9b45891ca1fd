/**
 * Model calls against servers that misbehave in ways seen in the field: one that cannot be reached, one that
 * ignores `stream: true`, one that dies mid-answer. Loopback servers speak the OpenAI protocol to the real SDK.
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { ConnectionFailedError, ProviderError } from '../src/errors.js';
import { OpenAICompatibleProvider } from '../src/llm/openaiCompatible.js';
import { PartialAnswerError } from '../src/llm/types.js';
import { ledgerPath, readLedger, readUsage } from '../src/route/ledger.js';
import { limitedModels, limitsPath } from '../src/route/limits.js';
import { defaultPolicy } from '../src/route/policy.js';
import { summarizeUsage } from '../src/route/stats.js';
import { serversClosedAfterEach, type ScriptedReply } from './helpers/chatServer.js';
import { env, kimiThenQwen } from './helpers/routedPair.js';

const server = serversClosedAfterEach();

beforeEach(() => {
  process.env.CODECTX_HOME = mkdtempSync(join(tmpdir(), 'codectx-server-faults-'));
});

/** One call to a server answering `reply`: what it returned or threw, and the pieces shown on the way. */
async function callOnce(reply: ScriptedReply) {
  const s = await server(reply);
  const provider = new OpenAICompatibleProvider({ baseURL: s.baseURL, timeoutMs: 5000, env });
  const pieces: string[] = [];
  const outcome = await provider
    .complete({ model: 'm', system: 'sys', prompt: 'x'.repeat(32) }, { onToken: (p) => pieces.push(p) })
    .catch((error: unknown) => error);
  return { s, outcome, pieces };
}

describe('a model whose endpoint cannot be reached', () => {
  it('is passed over for the next model in the chain at once, not retried (connection refused)', async () => {
    // Seen: a stopped local server (ECONNREFUSED) ended the call; the fallback chain was never tried.
    const kimi = await server();
    await kimi.close();
    const qwen = await server({ kind: 'stream', pieces: ['fixed'] });
    const notes: string[] = [];
    // A backoff this long would outlast the test: the refused endpoint must not be retried.
    const result = await kimiThenQwen(kimi, qwen, {
      retry: { retries: 2, baseDelayMs: 60_000 },
      onFallback: (from, to, error) => notes.push(`${from} → ${to}: ${error.message}`),
    });
    expect(result).toMatchObject({ model: 'qwen3-coder', text: 'fixed' });
    expect(notes).toEqual([`kimi-k2 → qwen3-coder: cannot reach ${kimi.baseURL} (ECONNREFUSED)`]);
    expect(readUsage()).toMatchObject([{ model: 'qwen3-coder', fallbackFrom: 'kimi-k2' }]);
  });

  it('is passed over, once tried, when it drops the connection before answering', async () => {
    const kimi = await server({ kind: 'reset' }, { kind: 'reset' });
    const qwen = await server({ kind: 'stream', pieces: ['fixed'] });
    const result = await kimiThenQwen(kimi, qwen);
    expect(result.model).toBe('qwen3-coder');
    expect(kimi.requests).toHaveLength(1);
  });

  it('is passed over when the stream is cut before any text was shown', async () => {
    // Whitespace is held back until text follows, so nothing reached the user: another model may answer.
    const kimi = await server({ kind: 'drop', pieces: ['\n'] });
    const qwen = await server({ kind: 'stream', pieces: ['fixed'] });
    const notes: string[] = [];
    const result = await kimiThenQwen(kimi, qwen, { onFallback: (_from, _to, error) => notes.push(error.message) });
    expect(result.model).toBe('qwen3-coder');
    expect(notes).toEqual([`${kimi.baseURL} closed the connection before answering (terminated)`]);
  });
});

describe('a server that ignores `stream: true`', () => {
  it('is answered by its one JSON completion: shown whole, with its usage', async () => {
    // Seen: a proxy answering with a plain chat.completion was rejected as "no completion chunks".
    const { outcome, pieces } = await callOnce({ kind: 'completion', content: 'Use a darker blue.\n', usage: { prompt_tokens: 12, completion_tokens: 5 } });
    expect(outcome).toEqual({ text: 'Use a darker blue.\n', inputTokens: 12, outputTokens: 5, tokensEstimated: false });
    expect(pieces).toEqual(['Use a darker blue.\n']);
  });

  it('has its tokens estimated when the completion carries no usage', async () => {
    const { outcome } = await callOnce({ kind: 'completion', content: 'abcdefg' });
    expect(outcome).toEqual({ text: 'abcdefg', inputTokens: 10, outputTokens: 2, tokensEstimated: true });
  });

  it('still fails, retryable, with a blank completion or a 200 that is an HTML page', async () => {
    const blank = await callOnce({ kind: 'completion', content: '  ' });
    expect([(blank.outcome as ProviderError).message, (blank.outcome as ProviderError).retryable]).toEqual([
      `${blank.s.baseURL} answered with an empty completion`,
      true,
    ]);
    const page = await callOnce({ kind: 'raw', contentType: 'text/html', body: '<html><body>502 Bad Gateway</body></html>' });
    expect(page.outcome).toBeInstanceOf(ProviderError);
    expect((page.outcome as ProviderError).message).toBe(
      `${page.s.baseURL} answered with no completion chunks (is it an OpenAI-compatible chat-completions endpoint?)`,
    );
    expect((page.outcome as ProviderError).retryable).toBe(true);
  });
});

describe('a stream that breaks off mid-answer', () => {
  it('fails in one line naming the endpoint and how much was shown, with the partial call estimated', async () => {
    // Seen: a bare "terminated", and nothing in the ledger although the provider billed the tokens.
    const { s, outcome, pieces } = await callOnce({ kind: 'drop', pieces: ['Use ', 'darker'] });
    expect(pieces).toEqual(['Use ', 'darker']);
    expect(outcome).toBeInstanceOf(PartialAnswerError);
    const error = outcome as PartialAnswerError;
    expect(error.message).toBe(`${s.baseURL} closed the stream mid-answer after 10 characters (terminated)`);
    expect(error.retryable).toBe(false);
    // 'sys' + 32 characters of prompt, 10 of answer, at 3.5 characters a token.
    expect(error.partial).toEqual({ text: 'Use darker', inputTokens: 10, outputTokens: 3, tokensEstimated: true });
  });

  it('is not retried nor passed to a fallback, and is recorded in the ledger as incomplete', async () => {
    const kimi = await server({ kind: 'drop', pieces: ['Use ', 'darker'] }, { kind: 'stream', pieces: ['again'] });
    const qwen = await server({ kind: 'stream', pieces: ['another answer'] });
    const error = await kimiThenQwen(kimi, qwen).catch((e: unknown) => e);
    expect((error as Error).message).toBe(`${kimi.baseURL} closed the stream mid-answer after 10 characters (terminated)`);
    expect([kimi.requests.length, qwen.requests.length]).toEqual([1, 0]);
    const { records, malformed } = readLedger();
    expect(malformed).toBe(0);
    expect(records).toMatchObject([{ model: 'kimi-k2', category: 'css_tweaks', inputTokens: 1, outputTokens: 3, tokensEstimated: true, incomplete: true }]);
    // Billed, so counted in the totals; and counted apart.
    const summary = summarizeUsage(records, defaultPolicy().models['claude-opus']!);
    expect([summary.total.calls, summary.incomplete]).toEqual([1, 1]);
  });
});

describe("a server's error text", () => {
  it('is shown escaped: it cannot drive the terminal from ask, route or model-limits.json', async () => {
    // Seen: a 429 whose message set the terminal's title and colour, in ask's fallback line and route's reason.
    const kimi = await server({ kind: 'error', status: 429, message: 'slow \x1b]0;PWNED\x07\x1b[31mdown' });
    const qwen = await server({ kind: 'stream', pieces: ['fixed'] });
    const notes: string[] = [];
    await kimiThenQwen(kimi, qwen, { retry: { retries: 0, baseDelayMs: 1 }, onFallback: (_from, _to, error) => notes.push(error.message) });
    expect(notes).toEqual([`${kimi.baseURL} answered 429: slow \\x1b]0;PWNED\\x07\\x1b[31mdown`]);
    expect([...limitedModels(defaultPolicy()).values()]).toEqual([`429: ${notes[0]}`]);
  });
});

describe('a ledger that cannot be written', () => {
  it('leaves the answer shown answered, and says so through onRecordError', async () => {
    // Seen: the answer printed, then "unexpected error: EISDIR …" and exit 1, as if the call had failed.
    mkdirSync(ledgerPath());
    const kimi = await server({ kind: 'stream', pieces: ['Use darker blue.'], usage: { prompt_tokens: 5, completion_tokens: 4 } });
    const qwen = await server();
    const notes: string[] = [];
    const result = await kimiThenQwen(kimi, qwen, { onRecordError: (error) => notes.push(error.message) });
    expect(result).toMatchObject({ model: 'kimi-k2', text: 'Use darker blue.' });
    expect(notes).toEqual([
      `cannot write the usage ledger ${ledgerPath()} (EISDIR: illegal operation on a directory, open '${ledgerPath()}'): stats and routing.budget do not count this call`,
    ]);
  });
});

describe('an answer interrupted (Ctrl-C)', () => {
  it('stops the stream, tries no fallback, and goes to the ledger as incomplete', async () => {
    // Seen: Ctrl-C left no ledger line for the part the provider billed; and the SDK ends an aborted stream as if done.
    const kimi = await server({ kind: 'stall', pieces: ['Use ', 'darker'] });
    const qwen = await server({ kind: 'stream', pieces: ['another answer'] });
    const controller = new AbortController();
    const shown: string[] = [];
    const onToken = (piece: string) => {
      shown.push(piece);
      if (shown.join('') === 'Use darker') controller.abort();
    };
    const error = await kimiThenQwen(kimi, qwen, { onToken, signal: controller.signal, timeoutMs: 5000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PartialAnswerError);
    expect((error as Error).message).toBe(`${kimi.baseURL} was interrupted mid-answer after 10 characters`);
    expect(qwen.requests).toHaveLength(0);
    expect(readUsage()).toMatchObject([{ model: 'kimi-k2', outputTokens: 3, tokensEstimated: true, incomplete: true }]);
  });

  it('before any text: fails at once, with nothing in the ledger and no fallback', async () => {
    const kimi = await server({ kind: 'stall', pieces: [] });
    const qwen = await server({ kind: 'stream', pieces: ['another answer'] });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    const error = await kimiThenQwen(kimi, qwen, { signal: controller.signal, timeoutMs: 5000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect(qwen.requests).toHaveLength(0);
    expect(readUsage()).toEqual([]);
  });
});

describe('a server that goes silent once its headers are sent', () => {
  // Seen: the SDK's timeout stops at the headers; a proxy that then sent nothing held `ask` for good.
  it('is given up on after the timeout before any text, and the next model answers', async () => {
    const kimi = await server({ kind: 'stall', pieces: [] }, { kind: 'stall', pieces: [] });
    const qwen = await server({ kind: 'stream', pieces: ['fixed'] });
    const notes: string[] = [];
    const result = await kimiThenQwen(kimi, qwen, { timeoutMs: 300, onFallback: (_from, _to, error) => notes.push(error.message) });
    expect(result).toMatchObject({ model: 'qwen3-coder', text: 'fixed' });
    expect(notes).toEqual([`${kimi.baseURL} did not answer within 300 ms`]);
  });

  it('ends mid-answer after the timeout with no new text, as a stream that breaks off', async () => {
    const kimi = await server({ kind: 'stall', pieces: ['Use ', 'darker'] });
    const qwen = await server({ kind: 'stream', pieces: ['another answer'] });
    const error = await kimiThenQwen(kimi, qwen, { timeoutMs: 300 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PartialAnswerError);
    expect((error as Error).message).toBe(`${kimi.baseURL} sent nothing for 300 ms mid-answer after 10 characters`);
    expect(qwen.requests).toHaveLength(0);
    expect(readUsage()).toMatchObject([{ model: 'kimi-k2', incomplete: true }]);
  });
});

describe('a limits file that cannot be written', () => {
  it('does not end the chain: the 429 is said through onRecordError and the next model answers', async () => {
    // Seen: 'unexpected error: EISDIR …' after kimi's 429, though qwen was up.
    mkdirSync(limitsPath());
    const kimi = await server({ kind: 'error', status: 429, message: 'slow down' });
    const qwen = await server({ kind: 'stream', pieces: ['fixed'] });
    const notes: string[] = [];
    const result = await kimiThenQwen(kimi, qwen, { retry: { retries: 0, baseDelayMs: 1 }, onRecordError: (error) => notes.push(error.message) });
    expect(result).toMatchObject({ model: 'qwen3-coder', text: 'fixed' });
    expect(notes).toEqual([`cannot write ${limitsPath()} (EISDIR: illegal operation on a directory, open '${limitsPath()}'): the next run tries kimi-k2 again`]);
  });
});

describe('a huge answer', () => {
  it('streams in time linear in its size', async () => {
    // Seen: a 20 MB answer took 130 s, each piece slicing the whole answer so far; 8 MB took ~30 s.
    const piece = `${'x'.repeat(999)}\n`;
    const started = Date.now();
    const { outcome } = await callOnce({ kind: 'stream', pieces: Array.from({ length: 8000 }, () => piece) });
    expect((outcome as { text: string }).text).toHaveLength(8_000_000);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
