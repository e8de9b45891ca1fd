/**
 * Model overrides, in the order the `claude` CLI users expect: `--model` beats `CODECTX_MODEL`, which beats the
 * project's `model` key, which beats the rules.
 */
import { ConfigError, UsageError } from '../errors.js';
import { findModel, type RoutingPolicy } from './policy.js';

export interface ModelOverride {
  model: string;
  source: '--model' | 'CODECTX_MODEL' | 'codectx.config.json model';
}

export function resolveModelOverride(
  policy: RoutingPolicy,
  given: { flag?: string; env?: string; config?: string },
): ModelOverride | undefined {
  const candidates: Array<[string | undefined, ModelOverride['source']]> = [
    [given.flag, '--model'],
    [given.env, 'CODECTX_MODEL'],
    [given.config, 'codectx.config.json model'],
  ];
  for (const [name, source] of candidates) {
    if (!name) continue;
    const model = findModel(policy, name);
    if (!model) {
      // A bad flag is a usage error (exit 2); a bad environment or config value is a configuration one (exit 1), as
      // an unknown CODECTX_STORE or "store" is.
      const message = `unknown model '${name}' (from ${source}); known: ${Object.keys(policy.models).join(', ')}`;
      throw source === '--model' ? new UsageError(message) : new ConfigError(message);
    }
    return { model, source };
  }
  return undefined;
}
