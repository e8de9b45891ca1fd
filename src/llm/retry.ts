import { ConnectionFailedError, ProviderError } from '../errors.js';

export interface RetryOptions {
  /** Retries after the first attempt. */
  retries: number;
  /** First backoff; doubles each retry, with jitter. */
  baseDelayMs: number;
}

export const DEFAULT_RETRY: RetryOptions = { retries: 2, baseDelayMs: 1000 };

/**
 * Runs `attempt`, retrying retryable ProviderErrors (429, 5xx) with exponential backoff; others pass through, and
 * so does a failed connection, which goes straight on to the fallback chain.
 */
export async function withRetries<T>(attempt: () => Promise<T>, options: RetryOptions = DEFAULT_RETRY): Promise<T> {
  for (let tried = 0; ; tried++) {
    try {
      return await attempt();
    } catch (error) {
      const retry = error instanceof ProviderError && error.retryable && !(error instanceof ConnectionFailedError);
      if (!retry || tried >= options.retries) throw error;
      const delay = options.baseDelayMs * 2 ** tried * (0.5 + Math.random() / 2);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
