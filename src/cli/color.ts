import { UsageError } from '../errors.js';

export const COLOR_MODES = ['auto', 'always', 'never'] as const;
export type ColorMode = (typeof COLOR_MODES)[number];

/** --color as rg and gh take it: auto colours a terminal unless NO_COLOR is set (no-color.org: any non-empty value). */
export function wantsColor(mode: string, isTTY: boolean, env: NodeJS.ProcessEnv): boolean {
  if (!COLOR_MODES.includes(mode as ColorMode)) throw new UsageError(`unknown --color "${mode}"; use one of ${COLOR_MODES.join(', ')}`);
  if (mode === 'always') return true;
  if (mode === 'never') return false;
  return isTTY && !env.NO_COLOR;
}
