import { realpath } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { RootsListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { isInside } from '../files/walk.js';
import { UsageError } from '../errors.js';
import { notACodebase, type Codebase } from '../index/codebase.js';

/** Folders that are never a codebase, nor anything inside them. */
const SYSTEM_TREES = ['/etc', '/proc', '/sys', '/dev', '/run', '/boot', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/usr/bin', '/usr/sbin', '/usr/lib', '/usr/libexec', '/usr/include', '/usr/share', '/var/log', '/var/lib', '/var/cache', '/var/spool', '/var/mail', '/var/backups', '/snap', '/nix/store', '/System', '/Library', '/private/etc'];
/** How long a client has to answer roots/list. */
const ROOTS_ANSWER_MS = 5000;
/** Folders that hold codebases but are not one: refused themselves, fine below (`/` and the home folder: everywhere). */
const CONTAINERS = ['/home', '/Users', '/root', '/usr', '/usr/local', '/var', '/opt', '/srv', '/mnt', '/media', '/tmp', '/private', '/Volumes'];

/**
 * Where an MCP client may work. An MCP client is told where it may work by the user (its roots): every tool that
 * names a codebase stays inside them, because what is indexed becomes searchable, what is searched goes to a
 * model, and clear_index deletes. With the client's roots (`roots/list`, refreshed on `list_changed`) a path must
 * lie inside one of them; a client without roots works inside the server's working folder. Indexing `/`, a home
 * folder or /etc is refused whatever the roots.
 */
export class ClientScope {
  private roots?: Promise<string[] | undefined>;

  constructor(
    private readonly server: Server,
    private readonly workingFolder: string,
  ) {
    server.setNotificationHandler(RootsListChangedNotificationSchema, async () => {
      this.roots = undefined;
    });
  }

  /** Throws a UsageError, worded for the client, unless the codebase may be indexed. */
  async checkIndexing(codebase: Codebase): Promise<void> {
    const refusal = systemFolderRefusal(codebase.root);
    if (refusal) throw new UsageError(refusal);
    await this.areaOf(codebase.root);
  }

  /**
   * The part of `codebase` the client may read, for a call about the real folder `folder` in it: undefined for
   * all of it, else the folder of the client's that holds `folder` (the index found by walking up from a root may
   * be a parent's: a monorepo's, indexed at its top). Throws a UsageError when `folder` is outside.
   */
  async readableArea(codebase: Codebase, folder: string): Promise<string | undefined> {
    const area = await this.areaOf(folder);
    return isInside(area, codebase.root) ? undefined : area;
  }

  /** The client's folder (a root, or the working folder) that holds the real path `path`; a UsageError if none does. */
  async areaOf(path: string): Promise<string> {
    const roots = await this.clientRoots();
    if (roots) {
      const area = roots.find((root) => isInside(root, path));
      if (area) return area;
      throw new UsageError(`${path} is outside this client's roots (${roots.join(', ') || 'none'}); codectx works only inside them`);
    }
    const working = await realpath(this.workingFolder);
    if (isInside(working, path)) return working;
    throw new UsageError(
      `${path} is outside the server's working folder ${working}; codectx works only inside it ` +
        `(start the server in that project, or use a client that shares its roots)`,
    );
  }

  /** The client's roots as real paths; undefined when the client does not offer roots. */
  private clientRoots(): Promise<string[] | undefined> {
    if (!this.server.getClientCapabilities()?.roots) return Promise.resolve(undefined);
    // The SDK waits 60 s by default: a client that offers roots but never answers held every tool call a minute.
    this.roots ??= this.server.listRoots(undefined, { timeout: ROOTS_ANSWER_MS }).then(
      async ({ roots }) => {
        const paths = roots.filter((root) => root.uri.startsWith('file://')).map((root) => fileURLToPath(root.uri));
        return Promise.all(paths.map((path) => realpath(path).catch(() => path)));
      },
      (error: unknown) => {
        this.roots = undefined;
        throw error;
      },
    );
    return this.roots;
  }
}

/** Why a folder can never be indexed over MCP, or undefined. */
export function systemFolderRefusal(root: string): string | undefined {
  const never = notACodebase(root);
  if (never) return never;
  if (CONTAINERS.includes(root)) return `${root} holds codebases but is not one; index a project inside it`;
  if (SYSTEM_TREES.some((tree) => isInside(tree, root))) return `${root} is a system folder; codectx does not index it`;
  return undefined;
}
