/**
 * Any OpenAI-compatible chat-completions endpoint through the `openai` SDK: Groq (Kimi K2), DashScope or
 * OpenRouter (Qwen3-Coder), Google's Gemini endpoint, Anthropic's, and local servers (Ollama, vLLM, LM Studio).
 * Retries are ours (withRetries + the fallback chain), so the SDK's own are off.
 */
import OpenAI from 'openai';
import { ConfigError, ProviderError } from '../errors.js';
import { AnswerText } from './answerText.js';
import { estimatePromptTokens } from './tokens.js';
import type { CompletionHooks, CompletionRequest, CompletionResult, ModelProvider } from './types.js';

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
    const apiKey = options.apiKeyEnv ? env[options.apiKeyEnv] : 'not-needed';
    if (!apiKey) throw new ConfigError(`${options.apiKeyEnv} is not set (the API key for ${options.baseURL})`);
    // logLevel off: the SDK would print unparsable stream data to the console; describe() reports it in one line.
    this.client = new OpenAI({ apiKey, baseURL: options.baseURL, timeout: options.timeoutMs, maxRetries: 0, logLevel: 'off' });
  }

  async complete(request: CompletionRequest, hooks: CompletionHooks = {}): Promise<CompletionResult> {
    const answer = new AnswerText(hooks.onToken);
    let chunks = 0;
    let usage: OpenAI.CompletionUsage | undefined;
    try {
      const stream = await this.client.chat.completions.create({
        model: request.model,
        messages: [
          { role: 'system', content: request.system },
          { role: 'user', content: request.prompt },
        ],
        max_tokens: request.maxOutputTokens,
        stream: true,
        stream_options: { include_usage: true },
      });
      for await (const chunk of stream) {
        chunks++;
        // `choices` is typed as always there; some servers send chunks without it.
        const piece = chunk.choices?.[0]?.delta?.content;
        if (piece) answer.add(piece);
        if (chunk.usage) usage = chunk.usage;
      }
    } catch (error) {
      throw this.describe(error, answer.started);
    }
    // A 200 that carries no answer is a failed call (a proxy's error page, a non-streaming server): retried, then
    // the fallback chain, and never billed as an answer.
    if (answer.blank) {
      const what = chunks === 0
        ? 'no completion chunks (is it an OpenAI-compatible chat-completions endpoint?)'
        : 'an empty completion';
      throw new ProviderError(`${this.options.baseURL} answered with ${what}`, true);
    }
    const { text } = answer;
    return {
      text,
      inputTokens: usage?.prompt_tokens ?? estimatePromptTokens(request.system + request.prompt),
      outputTokens: usage?.completion_tokens ?? estimatePromptTokens(text),
      tokensEstimated: !usage,
    };
  }

  /** One readable line; retryable only for rate limits and server errors hit before any text was streamed. */
  private describe(error: unknown, streamed: boolean): Error {
    const where = this.options.baseURL;
    if (error instanceof OpenAI.APIConnectionTimeoutError) {
      return new ProviderError(`${where} did not answer within ${this.options.timeoutMs} ms`, !streamed, undefined, { cause: error });
    }
    if (error instanceof OpenAI.APIConnectionError) {
      return new ProviderError(`cannot reach ${where} (${networkCode(error) ?? 'connection failed'})`, false, undefined, { cause: error });
    }
    if (error instanceof OpenAI.APIError) {
      const status = error.status;
      const detail = firstLine(error.message);
      if (status === 401 || status === 403) {
        const key = this.options.apiKeyEnv ? `check ${this.options.apiKeyEnv}` : 'the endpoint needs a key';
        return new ProviderError(`${where} rejected the API key (${status}; ${key})`, false, status, { cause: error });
      }
      if (status === 404) return new ProviderError(`${where}: model not found (${detail})`, false, status, { cause: error });
      const retryable = !streamed && (status === 429 || (status !== undefined && status >= 500));
      return new ProviderError(`${where} answered ${status ?? 'an error'}: ${detail}`, retryable, status, { cause: error });
    }
    if (error instanceof SyntaxError) {
      // The stream's data was not JSON: a broken server or proxy, like a 5xx.
      return new ProviderError(`${where} sent an unreadable completion stream (${firstLine(error.message)})`, !streamed, undefined, { cause: error });
    }
    return new ProviderError(`${where}: ${firstLine(error instanceof Error ? error.message : String(error))}`, false, undefined, { cause: error });
  }
}

/** The system error code (ECONNREFUSED, ENOTFOUND) buried in the SDK error → fetch error → socket error chain. */
function networkCode(error: unknown): string | undefined {
  for (let e = error as { code?: unknown; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (typeof e.code === 'string') return e.code;
  }
  return undefined;
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}
