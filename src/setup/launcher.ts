/**
 * The command that runs this very codectx from any folder, for the files `init --claude` writes. `npx codectx`
 * does not: outside codectx's checkout it asks the npm registry for a package of that name (and would run
 * whatever someone publishes there). So: the `codectx` on PATH when it is this package's bin (npm install -g,
 * npm link), else `node` and the real path of this package's bin.
 */
import { execFile } from 'node:child_process';
import { realpath } from 'node:fs/promises';
import { delimiter, isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../errors.js';

/** bin/codectx.js of the package this module belongs to (from dist/mcp/ as from src/mcp/). */
const OWN_BIN = fileURLToPath(new URL('../../bin/codectx.js', import.meta.url));
const CHECK_TIMEOUT_MS = 30_000;

/** [command, ...args]; append the codectx arguments (`mcp`, `hook user-prompt-submit`). */
export async function findLauncher(env: NodeJS.ProcessEnv = process.env): Promise<string[]> {
  const ownBin = await realpath(OWN_BIN);
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!isAbsolute(dir)) continue; // a relative PATH entry would name another file in another folder
    const candidate = join(dir, 'codectx');
    if ((await realpath(candidate).catch(() => undefined)) === ownBin) return [candidate];
  }
  return [process.execPath, ownBin];
}

/** Runs `<launcher> --version` once; a launcher that does not start is one ConfigError line. */
export function checkLauncher(launcher: string[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const [command, ...args] = launcher as [string, ...string[]];
  return new Promise((resolve, reject) => {
    execFile(command, [...args, '--version'], { env, timeout: CHECK_TIMEOUT_MS }, (error, _stdout, stderr) => {
      if (!error) return resolve();
      const detail = stderr.trim().split('\n')[0] || error.message.split('\n')[0];
      reject(new ConfigError(`\`${shellCommand([...launcher, '--version'])}\` does not run (${detail}); nothing was written`));
    });
  });
}

/** The words as one shell command line, quoting those a shell would split or expand (the hook is run by a shell). */
export function shellCommand(words: string[]): string {
  return words.map((word) => (/^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`)).join(' ');
}
