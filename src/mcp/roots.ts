import { realpath } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { RootsListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { isInside } from '../files/walk.js';
import { UsageError } from '../errors.js';
import { readMeta } from '../index/meta.js';
import { notACodebase, type Codebase } from '../index/codebase.js';

/** Folders that are never a codebase, nor anything inside them. */
const SYSTEM_TREES = ['/etc', '/proc', '/sys', '/dev', '/boot', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/usr/bin', '/usr/sbin', '/usr/lib', '/usr/include', '/System', '/Library', '/private/etc'];
/** Folders that hold codebases but are not one: refused themselves, fine below (`/` and the home folder: everywhere). */
const CONTAINERS = ['/home', '/Users', '/root', '/usr', '/usr/local', '/var', '/opt', '/srv', '/mnt', '/media', '/tmp', '/private', '/Volumes'];

/**
 * What an MCP client may have indexed. An MCP client is told where it may work by the user (its roots); a
 * request to index anything else — `/`, a home folder, /etc — is refused, because whatever is indexed becomes
 * searchable and can reach a model. With the client's roots (`roots/list`, refreshed on `list_changed`) a
 * codebase must lie inside one of them; a client without roots may index inside the server's working folder,
 * and re-index codebases that are already indexed.
 */
export class IndexingScope {
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
  async check(codebase: Codebase): Promise<void> {
    const refusal = systemFolderRefusal(codebase.root);
    if (refusal) throw new UsageError(refusal);
    const roots = await this.clientRoots();
    if (roots) {
      if (roots.some((root) => isInside(root, codebase.root))) return;
      throw new UsageError(`${codebase.root} is outside this client's roots (${roots.join(', ') || 'none'}); codectx indexes only inside them`);
    }
    if (isInside(await realpath(this.workingFolder), codebase.root)) return;
    if (await readMeta(codebase.indexDir).catch(() => undefined)) return;
    throw new UsageError(
      `${codebase.root} is outside the server's working folder ${this.workingFolder} and not indexed yet; ` +
        `index it with \`codectx index ${codebase.root}\`, or use a client that shares its roots`,
    );
  }

  /** The client's roots as real paths; undefined when the client does not offer roots. */
  private clientRoots(): Promise<string[] | undefined> {
    if (!this.server.getClientCapabilities()?.roots) return Promise.resolve(undefined);
    this.roots ??= this.server.listRoots().then(
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
