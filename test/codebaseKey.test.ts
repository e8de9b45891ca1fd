import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfigFile } from '../src/config/fileSchema.js';
import { codebaseKey, normaliseRemote } from '../src/index/codebaseKey.js';
import { collectionNameFor } from '../src/store/collectionName.js';

/** A shared index's identity: the same on every machine for one repository, whatever path it is checked out at. */
describe('normaliseRemote', () => {
  it('writes every spelling of one remote alike', () => {
    const spellings = [
      'git@github.com:Acme/Widgets.git',
      'https://github.com/Acme/Widgets',
      'https://me:secret@GitHub.com/Acme/Widgets.git/',
      'ssh://git@github.com:22/Acme/Widgets.git',
      'git+ssh://git@github.com/Acme/Widgets',
      'github.com:Acme/Widgets',
    ];
    for (const url of spellings) expect(normaliseRemote(url), url).toBe('github.com/Acme/Widgets');
  });

  it('keeps a local path remote a path', () => {
    expect(normaliseRemote('/srv/git/widgets.git')).toBe('/srv/git/widgets');
    expect(normaliseRemote('file:///srv/git/widgets.git')).toBe('/srv/git/widgets');
    expect(normaliseRemote('../widgets')).toBe('../widgets');
  });

  it('tells different repositories apart', () => {
    expect(normaliseRemote('git@github.com:acme/widgets.git')).not.toBe(normaliseRemote('git@gitlab.com:acme/widgets.git'));
    expect(normaliseRemote('git@github.com:acme/widgets.git')).not.toBe(normaliseRemote('git@github.com:acme/gadgets.git'));
  });
});

describe('codebaseKey', () => {
  let base: string;
  beforeEach(async () => {
    base = await mkdtemp(join(tmpdir(), 'codectx-key-'));
  });
  afterEach(async () => {
    await rm(base, { recursive: true, force: true });
  });

  const repoAt = async (dir: string, url: string) => {
    await mkdir(join(dir, '.git'), { recursive: true });
    const config = `[core]\n\tbare = false\n[remote "upstream"]\n\turl = git@github.com:other/fork.git\n[remote "origin"]\n\turl = ${url}\n\tfetch = +refs/heads/*:refs/remotes/origin/*\n`;
    await writeFile(join(dir, '.git', 'config'), config);
  };

  it('gives two checkouts of one repository, cloned by different URLs, one key', async () => {
    await repoAt(join(base, 'alice', 'widgets'), 'git@github.com:acme/widgets.git');
    await repoAt(join(base, 'bob', 'w2'), 'https://github.com/acme/widgets');
    const a = await codebaseKey(join(base, 'alice', 'widgets'));
    const b = await codebaseKey(join(base, 'bob', 'w2'));
    expect(a).toEqual({ source: 'git', key: 'git:github.com/acme/widgets', label: 'widgets' });
    expect(b).toEqual(a);
  });

  it('keys a subfolder by the repository and the folder inside it', async () => {
    await repoAt(join(base, 'r'), 'git@github.com:acme/mono.git');
    await mkdir(join(base, 'r', 'packages', 'api'), { recursive: true });
    const key = await codebaseKey(join(base, 'r', 'packages', 'api'));
    expect(key).toEqual({ source: 'git', key: 'git:github.com/acme/mono//packages/api', label: 'api' });
  });

  it('reads a linked worktree through its .git file and commondir', async () => {
    await repoAt(join(base, 'main'), 'git@github.com:acme/widgets.git');
    const worktreeGit = join(base, 'main', '.git', 'worktrees', 'feature');
    await mkdir(worktreeGit, { recursive: true });
    await writeFile(join(worktreeGit, 'commondir'), '../..\n');
    await mkdir(join(base, 'feature'));
    await writeFile(join(base, 'feature', '.git'), `gitdir: ${worktreeGit}\n`);
    expect((await codebaseKey(join(base, 'feature'))).key).toBe('git:github.com/acme/widgets');
  });

  it('prefers the configured name, and falls back to the path without a remote', async () => {
    await repoAt(join(base, 'r'), 'git@github.com:acme/widgets.git');
    expect(await codebaseKey(join(base, 'r'), 'team-widgets')).toEqual({ source: 'name', key: 'name:team-widgets', label: 'team-widgets' });
    await mkdir(join(base, 'plain', '.git'), { recursive: true });
    await writeFile(join(base, 'plain', '.git', 'config'), '[core]\n\tbare = false\n');
    expect(await codebaseKey(join(base, 'plain'))).toEqual({ source: 'path', key: join(base, 'plain'), label: 'plain' });
  });

  it('names collections validly from any key', () => {
    for (const [key, label] of [['git:github.com/acme/widgets', 'widgets'], ['name:Team Widgets!', 'Team Widgets!'], ['name:Ünï', 'Ünï']] as const) {
      expect(collectionNameFor(key, label)).toMatch(/^[a-z_][a-z0-9_]*$/);
    }
    expect(collectionNameFor('name:a', 'x')).not.toBe(collectionNameFor('name:b', 'x'));
  });
});

describe('name in codectx.config.json', () => {
  it('is accepted, and an empty one refused in one line', () => {
    expect(parseConfigFile('{"name": "team-widgets"}', 'c.json').name).toBe('team-widgets');
    expect(() => parseConfigFile('{"name": ""}', 'c.json')).toThrow(/"name"/);
  });
});
