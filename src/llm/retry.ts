import { ProviderError } from '../errors.js';

export interface RetryOptions {
  /** Retries after the first attempt. */
  retries: number;
  /** First backoff; doubles each retry, with jitter. */
  baseDelayMs: number;
}

export const DEFAULT_RETRY: RetryOptions = { retries: 2, baseDelayMs: 1000 };

/** Runs `attempt`, retrying retryable ProviderErrors (429, 5xx) with exponential backoff; others pass through. */
export async function withRetries<T>(attempt: () => Promise<T>, options: RetryOptions = DEFAULT_RETRY): Promise<T> {
  for (let tried = 0; ; tried++) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof ProviderError) || !error.retryable || tried >= options.retries) throw error;
      const delay = options.baseDelayMs * 2 ** tried * (0.5 + Math.random() / 2);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
