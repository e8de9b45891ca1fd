import type { ModelEntry } from '../route/policy.js';
import { ClaudeCliProvider } from './claudeCli.js';
import { OpenAICompatibleProvider } from './openaiCompatible.js';
import type { ModelProvider } from './types.js';

export interface ProviderOptions {
  timeoutMs: number;
  env?: NodeJS.ProcessEnv;
}

/** The provider a catalog entry names. Throws ConfigError for a missing API key, naming the variable. */
export function createModelProvider(entry: ModelEntry, options: ProviderOptions): ModelProvider {
  if (entry.provider === 'claude-cli') return new ClaudeCliProvider({ timeoutMs: options.timeoutMs, env: options.env });
  return new OpenAICompatibleProvider({
    baseURL: entry.baseURL!,
    apiKeyEnv: entry.apiKeyEnv ?? undefined,
    timeoutMs: options.timeoutMs,
    env: options.env,
  });
}
