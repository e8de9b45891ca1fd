/**
 * The parts of codectx.config.json routing and pre-search own: `model`, `routing` and `context`. loadConfig
 * checked their shapes when it read the file; this fills in the defaults.
 */
import type { ConfigFile } from '../config/fileSchema.js';
import { DEFAULT_CONTEXT } from '../config/sections.js';
import type { RoutingOverrides } from './policy.js';

export interface ContextSettings {
  reuseThreshold: number;
  extendThreshold: number;
  /** Fixed pre-search budget in tokens; absent means a share of the routed model's window. */
  budgetTokens?: number;
}

export interface RoutingSettings {
  model?: string;
  routing?: RoutingOverrides;
  context: ContextSettings;
}

export function routingSettings(project: ConfigFile): RoutingSettings {
  const settings: RoutingSettings = { context: { ...DEFAULT_CONTEXT, ...project.context } };
  if (project.model !== undefined) settings.model = project.model;
  if (project.routing !== undefined) settings.routing = project.routing;
  return settings;
}
