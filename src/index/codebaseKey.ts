import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';

/**
 * What a codebase's index is called wherever it is checked out, so two machines (or two checkouts) share one
 * Milvus index: `name` from codectx.config.json, else the git remote `origin` normalised (plus the folder inside
 * the repository, so a subfolder indexed alone is its own index), else the real path (local only).
 */
export interface CodebaseKey {
  source: 'name' | 'git' | 'path';
  /** The identity itself, e.g. "github.com/acme/widgets" or "/home/me/widgets". */
  key: string;
  /** A readable part for names: the configured name or the repository's last segment. */
  label: string;
}

export async function codebaseKey(root: string, name?: string): Promise<CodebaseKey> {
  if (name) return { source: 'name', key: `name:${name}`, label: name };
  const remote = await gitRemote(root);
  if (remote) {
    const inside = relative(remote.top, root).split(sep).join('/');
    const key = inside ? `${remote.url}//${inside}` : remote.url;
    return { source: 'git', key: `git:${key}`, label: basename(inside || remote.url) };
  }
  return { source: 'path', key: root, label: basename(root) };
}

/**
 * The URL of `origin` as one string for every way of writing it: scheme, user, password, port and a trailing
 * ".git" or "/" dropped, the host lowercased, scp-style "host:path" turned into "host/path". So
 * git@github.com:Acme/Widgets.git, https://me@github.com/Acme/Widgets and ssh://git@github.com:22/Acme/Widgets.git
 * are all "github.com/Acme/Widgets". A local path remote stays a path.
 */
export function normaliseRemote(url: string): string {
  let rest = url.trim();
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(rest);
  if (scheme) rest = rest.slice(scheme[0].length);
  else {
    // scp-like syntax: [user@]host:path (a colon before any slash); anything else is a local path.
    const scp = /^(?:[^@/]+@)?([^:/]+):(?!\/)(.*)$/.exec(rest);
    if (!scp) return rest.replace(/\/+$/, '').replace(/\.git$/, '');
    rest = `${scp[1]}/${scp[2]}`;
  }
  if (scheme?.[1]?.toLowerCase() === 'file') return rest.replace(/\/+$/, '').replace(/\.git$/, '');
  const slash = rest.indexOf('/');
  const authority = slash < 0 ? rest : rest.slice(0, slash);
  const path = slash < 0 ? '' : rest.slice(slash + 1);
  const host = authority.replace(/^.*@/, '').replace(/:\d*$/, '').toLowerCase();
  const cleanPath = path.replace(/\/+$/, '').replace(/\.git$/, '').replace(/\/+$/, '');
  return cleanPath ? `${host}/${cleanPath}` : host;
}

/** The repository holding `root` (its top folder) and the normalised URL of its `origin`; read from disk, no git run. */
async function gitRemote(root: string): Promise<{ top: string; url: string } | undefined> {
  for (let dir = resolve(root); ; dir = dirname(dir)) {
    const dotGit = join(dir, '.git');
    const info = await stat(dotGit).catch(() => undefined);
    if (info) {
      const gitDir = info.isDirectory() ? dotGit : await linkedGitDir(dotGit, dir);
      if (!gitDir) return undefined;
      const url = originUrl(await readFile(join(await commonDir(gitDir), 'config'), 'utf8').catch(() => ''));
      return url ? { top: dir, url: normaliseRemote(url) } : undefined;
    }
    if (dirname(dir) === dir) return undefined;
  }
}

/** A worktree's or submodule's `.git` file: "gitdir: <path>". */
async function linkedGitDir(file: string, dir: string): Promise<string | undefined> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const path = /^gitdir:\s*(.+)$/m.exec(text)?.[1]?.trim();
  return path ? resolve(dir, path) : undefined;
}

/** A linked worktree keeps its config in the main repository's git folder, named by `commondir`. */
async function commonDir(gitDir: string): Promise<string> {
  const common = (await readFile(join(gitDir, 'commondir'), 'utf8').catch(() => '')).trim();
  return common ? resolve(gitDir, common) : gitDir;
}

/** `url` of [remote "origin"] in a git config file. */
function originUrl(config: string): string | undefined {
  let inOrigin = false;
  for (const raw of config.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('[')) inOrigin = /^\[remote\s+"origin"\]$/.test(line);
    else if (inOrigin) {
      const url = /^url\s*=\s*(.+)$/.exec(line)?.[1];
      if (url) return url.replace(/^"(.*)"$/, '$1');
    }
  }
  return undefined;
}
