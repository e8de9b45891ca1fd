/** Routed calls on a pair of loopback chat servers: kimi-k2 routed first, qwen3-coder behind it. */
import { routedCall } from '../../src/llm/routedCall.js';
import { defaultPolicy, mergePolicy, type RoutingPolicy } from '../../src/route/policy.js';
import type { ChatServer } from './chatServer.js';

export const FAST_RETRY = { retries: 1, baseDelayMs: 1 };

export const env = { ...process.env, TEST_KIMI_KEY: 'kimi-secret', TEST_QWEN_KEY: 'qwen-secret' };

/** The default policy with Kimi and Qwen pointed at loopback servers. */
export function loopbackPolicy(kimi: ChatServer, qwen: ChatServer): RoutingPolicy {
  return mergePolicy(defaultPolicy(), {
    models: {
      'kimi-k2': { baseURL: kimi.baseURL, apiKeyEnv: 'TEST_KIMI_KEY' },
      'qwen3-coder': { baseURL: qwen.baseURL, apiKeyEnv: 'TEST_QWEN_KEY' },
    },
  });
}

/** A css_tweaks task routed to kimi-k2 with qwen3-coder behind it, both on loopback servers; `options` override. */
export function kimiThenQwen(kimi: ChatServer, qwen: ChatServer, options: Partial<Parameters<typeof routedCall>[0]> = {}) {
  return routedCall({
    policy: loopbackPolicy(kimi, qwen),
    decision: { category: 'css_tweaks', model: 'kimi-k2', fallbacks: ['qwen3-coder'], expectedOutputTokens: 400 },
    system: '',
    prompt: 'x',
    retry: FAST_RETRY,
    env,
    ...options,
  });
}
