/** Calling a language model: one small interface, two real implementations (OpenAI-compatible HTTP, claude CLI). */
import { ProviderError } from '../errors.js';

export interface CompletionRequest {
  /** The provider's own model id (catalog `apiModel`). */
  model: string;
  system: string;
  prompt: string;
  maxOutputTokens?: number;
}

export interface CompletionResult {
  text: string;
  inputTokens: number;
  outputTokens: number;
  /** True when the provider did not report usage and the counts were estimated from the text. */
  tokensEstimated: boolean;
}

export interface CompletionHooks {
  /** Called with each piece of text as it streams in. */
  onToken?: (text: string) => void;
  /** Ctrl-C: the call stops, and an answer under way ends as a PartialAnswerError (billed up to there). */
  signal?: AbortSignal;
}

export interface ModelProvider {
  readonly kind: 'openai-compatible' | 'claude-cli';
  /**
   * Streams a completion; throws ProviderError (retryable on 429/5xx and a blank or unreadable answer), ConfigError
   * (missing key, no CLI), or PartialAnswerError when the answer breaks off after text was shown.
   */
  complete(request: CompletionRequest, hooks?: CompletionHooks): Promise<CompletionResult>;
}

/**
 * The answer broke off after some of it was shown: not retried nor fallen back (the user has read part of one
 * answer, a second would follow it), but the provider bills what it sent, so `partial` carries its estimated usage.
 */
export class PartialAnswerError extends ProviderError {
  constructor(
    message: string,
    readonly partial: CompletionResult,
    options?: { cause?: unknown },
  ) {
    super(message, false, undefined, options);
  }
}
