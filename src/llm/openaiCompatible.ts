/**
 * Any OpenAI-compatible chat-completions endpoint through the `openai` SDK: Groq (Kimi K2), DashScope or
 * OpenRouter (Qwen3-Coder), Google's Gemini endpoint, Anthropic's, and local servers (Ollama, vLLM, LM Studio).
 * Retries are ours (withRetries + the fallback chain), so the SDK's own are off.
 */
import OpenAI from 'openai';
import { ConfigError, ConnectionFailedError, ProviderError } from '../errors.js';
import { firstLine, unsendableKey } from '../text.js';
import { AnswerText } from './answerText.js';
import { estimatePromptTokens } from './tokens.js';
import { PartialAnswerError, type CompletionHooks, type CompletionRequest, type CompletionResult, type ModelProvider } from './types.js';

export interface OpenAICompatibleOptions {
  baseURL: string;
  /** Environment variable holding the key; absent for local servers that need none. */
  apiKeyEnv?: string;
  timeoutMs: number;
  env?: NodeJS.ProcessEnv;
}

export class OpenAICompatibleProvider implements ModelProvider {
  readonly kind = 'openai-compatible';
  private readonly client: OpenAI;

  constructor(private readonly options: OpenAICompatibleOptions) {
    const env = options.env ?? process.env;
    const apiKey = options.apiKeyEnv ? env[options.apiKeyEnv]?.trim() : 'not-needed';
    if (!apiKey) throw new ConfigError(`${options.apiKeyEnv} is not set (the API key for ${options.baseURL})`);
    const unsendable = options.apiKeyEnv ? unsendableKey(options.apiKeyEnv, apiKey) : undefined;
    if (unsendable) throw new ConfigError(unsendable);
    // logLevel off: the SDK would print unparsable stream data to the console; describe() reports it in one line.
    this.client = new OpenAI({ apiKey, baseURL: options.baseURL, timeout: options.timeoutMs, maxRetries: 0, logLevel: 'off' });
  }

  async complete(request: CompletionRequest, hooks: CompletionHooks = {}): Promise<CompletionResult> {
    const answer = new AnswerText(hooks.onToken);
    let chunks = 0;
    let usage: OpenAI.CompletionUsage | undefined;
    // The SDK's timeout ends once the headers come: a server that then sent nothing, before the answer or in the
    // middle of it, held `ask` for good. Each chunk restarts this one.
    // One signal for both stops (AbortSignal.any needs Node 20.3): the caller's (Ctrl-C) and this silence.
    const stop = new AbortController();
    let silent = false;
    let silenceTimer: NodeJS.Timeout | undefined;
    const heardFrom = () => {
      clearTimeout(silenceTimer);
      silenceTimer = setTimeout(() => {
        silent = true;
        stop.abort();
      }, this.options.timeoutMs);
    };
    const interrupt = () => stop.abort();
    if (hooks.signal?.aborted) interrupt();
    hooks.signal?.addEventListener('abort', interrupt, { once: true });
    const signal = stop.signal;
    heardFrom();
    try {
      const { data: stream, response } = await this.client.chat.completions
        .create({
          model: request.model,
          messages: [
            { role: 'system', content: request.system },
            { role: 'user', content: request.prompt },
          ],
          max_tokens: request.maxOutputTokens,
          stream: true,
          stream_options: { include_usage: true },
        }, { signal })
        .withResponse();
      if (/\bjson\b/i.test(response.headers.get('content-type') ?? '')) {
        // Some local servers and proxies ignore `stream: true` and send the whole completion at once.
        const completion = plainCompletion(await response.text());
        if (completion) {
          chunks = 1;
          answer.add(completion.content);
          usage = completion.usage;
        }
      } else {
        for await (const chunk of stream) {
          heardFrom();
          chunks++;
          // `choices` is typed as always there; some servers send chunks without it.
          const piece = chunk.choices?.[0]?.delta?.content;
          if (piece) answer.add(piece);
          if (chunk.usage) usage = chunk.usage;
        }
      }
      // The SDK ends an aborted stream as if it were done: what came is part of an answer, not all of it.
      if (signal.aborted) throw signal.reason;
    } catch (error) {
      const stopped = hooks.signal?.aborted ? 'interrupted' : silent ? 'silent' : undefined;
      if (stopped === 'silent' && !answer.started) {
        throw new ProviderError(`${this.options.baseURL} did not answer within ${this.options.timeoutMs} ms`, true, undefined, { cause: error });
      }
      throw answer.started ? this.brokenOff(error, request, answer.text, stopped) : this.describe(error);
    } finally {
      clearTimeout(silenceTimer);
      hooks.signal?.removeEventListener('abort', interrupt);
    }
    // A 200 that carries no answer is a failed call (a proxy's error page, not a completion): retried, then the
    // fallback chain, and never billed as an answer.
    if (answer.blank) {
      const what = chunks === 0
        ? 'no completion chunks (is it an OpenAI-compatible chat-completions endpoint?)'
        : 'an empty completion';
      throw new ProviderError(`${this.options.baseURL} answered with ${what}`, true);
    }
    return completionResult(request, answer.text, usage);
  }

  /**
   * One readable line for a failure before any text was shown. Retryable for rate limits, server errors and
   * unreadable streams; a failed connection goes on to the fallback chain without retrying.
   */
  private describe(error: unknown): Error {
    const where = this.options.baseURL;
    if (error instanceof OpenAI.APIConnectionTimeoutError) {
      return new ProviderError(`${where} did not answer within ${this.options.timeoutMs} ms`, true, undefined, { cause: error });
    }
    if (error instanceof OpenAI.APIConnectionError) {
      return new ConnectionFailedError(`cannot reach ${where} (${networkReason(error) ?? 'connection failed'})`, { cause: error });
    }
    if (error instanceof OpenAI.APIError) {
      const status = error.status;
      // The SDK's message opens with the status ("429 Rate limit reached"), which the line names already.
      const line = firstLine(error.message);
      const detail = status === undefined ? line : line.replace(new RegExp(`^${status}\\s+`), '');
      if (status === 401 || status === 403) {
        const key = this.options.apiKeyEnv ? `check ${this.options.apiKeyEnv}` : 'the endpoint needs a key';
        return new ProviderError(`${where} rejected the API key (${status}; ${key})`, false, status, { cause: error });
      }
      if (status === 404) return new ProviderError(`${where}: model not found (${detail})`, false, status, { cause: error });
      const retryable = status === 429 || (status !== undefined && status >= 500);
      return new ProviderError(`${where} answered ${status ?? 'an error'}: ${detail}`, retryable, status, { cause: error });
    }
    if (error instanceof SyntaxError) {
      // The stream's data was not JSON: a broken server or proxy, like a 5xx.
      return new ProviderError(`${where} sent an unreadable completion stream (${firstLine(error.message)})`, true, undefined, { cause: error });
    }
    const message = firstLine(error instanceof Error ? error.message : String(error));
    if (networkReason(error)) {
      // The stream was cut (undici's "terminated") before any text came: nothing shown, so another model may answer.
      return new ConnectionFailedError(`${where} closed the connection before answering (${message})`, { cause: error });
    }
    return new ProviderError(`${where}: ${message}`, false, undefined, { cause: error });
  }

  /**
   * A failure after text was shown: one line naming the endpoint, and the partial call's estimated usage. `stopped`:
   * by Ctrl-C, or by a server silent for the timeout; the SDK's error then only says it was aborted.
   */
  private brokenOff(error: unknown, request: CompletionRequest, text: string, stopped?: 'interrupted' | 'silent'): PartialAnswerError {
    const what = stopped === 'interrupted' ? 'was interrupted'
      : stopped === 'silent' ? `sent nothing for ${this.options.timeoutMs} ms`
      : error instanceof OpenAI.APIError ? 'sent an error'
      : error instanceof SyntaxError ? 'sent unreadable data'
      : 'closed the stream';
    const detail = stopped ? '' : ` (${firstLine(error instanceof Error ? error.message : String(error))})`;
    return new PartialAnswerError(
      `${this.options.baseURL} ${what} mid-answer after ${text.length} characters${detail}`,
      completionResult(request, text, undefined),
      { cause: error },
    );
  }
}

/** The answer of a non-streaming `chat.completion` body, or undefined when the body is not one. */
function plainCompletion(body: string): { content: string; usage?: OpenAI.CompletionUsage } | undefined {
  let completion: Partial<OpenAI.ChatCompletion> | null;
  try {
    completion = JSON.parse(body) as Partial<OpenAI.ChatCompletion> | null;
  } catch {
    return undefined;
  }
  const content = completion?.choices?.[0]?.message?.content;
  return typeof content === 'string' ? { content, usage: completion?.usage ?? undefined } : undefined;
}

/** The reported usage, or estimates from the text when the endpoint reported none. */
function completionResult(request: CompletionRequest, text: string, usage: OpenAI.CompletionUsage | undefined): CompletionResult {
  return {
    text,
    inputTokens: usage?.prompt_tokens ?? estimatePromptTokens(request.system + request.prompt),
    outputTokens: usage?.completion_tokens ?? estimatePromptTokens(text),
    tokensEstimated: !usage,
  };
}

/**
 * Why a connection failed: the system error code (ECONNREFUSED, ENOTFOUND) buried in the SDK error → fetch error
 * → socket error chain, else the socket error's own words (undici's "other side closed").
 */
function networkReason(error: unknown): string | undefined {
  for (let e = error as { code?: unknown; message?: unknown; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (typeof e.code !== 'string') continue;
    return /^E[A-Z]+$/.test(e.code) || typeof e.message !== 'string' ? e.code : firstLine(e.message);
  }
  return undefined;
}

