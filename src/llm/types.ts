/** Calling a language model: one small interface, two real implementations (OpenAI-compatible HTTP, claude CLI). */

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
}

export interface ModelProvider {
  readonly kind: 'openai-compatible' | 'claude-cli';
  /** Streams a completion; throws ProviderError (retryable on 429/5xx and a blank or unreadable answer) or ConfigError (missing key, no CLI). */
  complete(request: CompletionRequest, hooks?: CompletionHooks): Promise<CompletionResult>;
}
