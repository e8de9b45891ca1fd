import type { CodectxConfig } from './config.js';

/**
 * What makes two configurations need different runtimes: everything the Runtime reads (store, embedding,
 * size limits, ignore patterns). Project sections other modules own (routing, budget) do not count.
 */
export function configKey(config: CodectxConfig): string {
  const { project: _project, ...runtimeSettings } = config;
  return stableStringify(runtimeSettings);
}

function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${stableStringify(item)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
