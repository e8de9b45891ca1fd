import { chmodSync, mkdirSync, realpathSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { UsageError } from '../errors.js';
import { isInside } from '../files/walk.js';
import { printable } from '../text.js';

/**
 * Root of everything codectx keeps per user: indexes, the model cache, the daemon socket, the usage ledger. A
 * relative CODECTX_HOME is refused rather than resolved: from each folder it names another home, so a daemon
 * started in one folder was invisible from the next, and an index run put a home inside the codebase.
 */
export function codectxHome(): string {
  const home = process.env.CODECTX_HOME;
  if (!home) return join(homedir(), '.codectx');
  if (!isAbsolute(home)) {
    throw new UsageError(`CODECTX_HOME must be an absolute path, not '${printable(home)}': relative, it would name another home in each folder`);
  }
  return home;
}

/** The home's real path (as codebase roots are recorded), or the path as given when it does not exist yet. */
export function realCodectxHome(): string {
  const home = codectxHome();
  try {
    return realpathSync(home);
  } catch {
    return resolve(home);
  }
}

/**
 * An ignore pattern for codectx's home when it lies inside the codebase at real path `root` (CODECTX_HOME set to a
 * folder of the project): its indexes, logs and ledger are not source, and a daemon watching them re-indexed on its
 * own writes without end (each run wrote the manifest and the log it then saw change).
 */
export function ownHomeIgnores(root: string): string[] {
  const home = realCodectxHome();
  if (home === root || !isInside(root, home)) return [];
  const rel = relative(root, home).split(sep).join('/');
  // Anchored at the root, every character that means something in .gitignore syntax escaped.
  return [`/${rel.replace(/[\\*?[\]!# ]/g, (c) => `\\${c}`)}/`];
}

/** Where built model files (ONNX graphs) are cached. */
export function modelsDir(): string {
  return join(codectxHome(), 'models');
}

/** Files codectx writes under its home: owner only, as they hold source code, task metadata and caches. */
export const PRIVATE_FILE_MODE = 0o600;
const PRIVATE_DIR_MODE = 0o700;

/**
 * Creates a folder and its missing parents so only this user can enter them: an index holds the code it indexed, and
 * with the umask's usual 0755 any local user could read it. A home made that way by an earlier version is tightened
 * here too, which closes everything below it.
 */
export function makePrivateDir(path: string): void {
  mkdirSync(path, { recursive: true, mode: PRIVATE_DIR_MODE });
  const home = codectxHome();
  if (!isInside(resolve(home), resolve(path))) return;
  const info = statSync(home);
  if (info.uid === process.getuid?.() && (info.mode & 0o077) !== 0) chmodSync(home, PRIVATE_DIR_MODE);
}
