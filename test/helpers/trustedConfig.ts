import { realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIG_FILE, projectConfigFile } from '../../src/config/config.js';
import { trustSettings } from '../../src/config/trust.js';

/**
 * Writes a folder's codectx.config.json and trusts its outbound settings in `home`, as its user would with
 * `codectx trust` (a config that points at a test's loopback server would otherwise be refused).
 */
export function writeTrustedConfig(dir: string, config: object, home: string): void {
  writeFileSync(join(dir, CONFIG_FILE), JSON.stringify(config));
  const previous = process.env.CODECTX_HOME;
  process.env.CODECTX_HOME = home;
  try {
    trustSettings(realpathSync(dir), projectConfigFile(dir)!);
  } finally {
    if (previous === undefined) delete process.env.CODECTX_HOME;
    else process.env.CODECTX_HOME = previous;
  }
}
