import { chmod, mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { indexedAbove, indexTarget, locateCodebase, pointsAtMilvus, type SharedIndexProbe } from '../src/app/locate.js';
import { ownHomeIgnores } from '../src/config/paths.js';
import { UsageError } from '../src/errors.js';
import { walkCodebase } from '../src/files/walk.js';
import { codebaseAt, resolveCodebase, resolveFolder, type Codebase } from '../src/index/codebase.js';
import { writeMeta, type IndexMeta } from '../src/index/meta.js';
import { runCli } from './helpers/cli.js';

/**
 * Walking up from a subfolder to the codebase's index, when the index is shared (Milvus) and this machine has no
 * local trace of it: the server is asked only about folders whose settings name Milvus.
 */
describe('finding a shared index from a subfolder', () => {
  let base: string;
  let root: string;
  let deep: string;
  const savedHome = process.env.CODECTX_HOME;

  beforeEach(async () => {
    base = await realpath(await mkdtemp(join(tmpdir(), 'codectx-locate-')));
    process.env.CODECTX_HOME = join(base, 'home'); // empty: no local index anywhere
    root = join(base, 'work', 'repo');
    deep = join(root, 'src', 'ui', 'widgets');
    await mkdir(deep, { recursive: true });
  });

  afterEach(async () => {
    if (savedHome === undefined) delete process.env.CODECTX_HOME;
    else process.env.CODECTX_HOME = savedHome;
    await rm(base, { recursive: true, force: true });
  });

  /** A server that holds an index for `indexed` roots, and records which codebases it was asked about. */
  const server = (flags: { store?: string }, env: NodeJS.ProcessEnv, indexed: string[]) => {
    const asked: string[] = [];
    const probe: SharedIndexProbe = {
      pointsAtShared: (dir) => pointsAtMilvus(dir, flags, env),
      hasIndex: async (codebase: Codebase) => {
        asked.push(codebase.root);
        return indexed.includes(codebase.root);
      },
    };
    return { probe, asked };
  };

  it('finds the root whose codectx.config.json names Milvus, asking the server once', async () => {
    await writeFile(join(root, 'codectx.config.json'), JSON.stringify({ store: 'milvus', milvus: { address: 'localhost:19530' } }));
    const { probe, asked } = server({}, {}, [root]);
    expect((await indexedAbove(deep, probe))?.root).toBe(root);
    expect(asked).toEqual([root]);
    expect((await locateCodebase(deep, probe)).root).toBe(root);
  });

  it('with Milvus chosen by flags or the environment, asks only about folders that look like a root', async () => {
    await mkdir(join(root, '.git'));
    for (const [flags, env] of [[{ store: 'milvus' }, {}], [{}, { CODECTX_STORE: 'milvus' }]] as const) {
      const { probe, asked } = server(flags, env, [root]);
      expect((await indexedAbove(deep, probe))?.root).toBe(root);
      expect(asked).toEqual([root]);
    }
    // Not indexed there: the walk goes on to the top, asking no other folder (none has a config or .git).
    const { probe, asked } = server({ store: 'milvus' }, {}, []);
    expect(await indexedAbove(deep, probe)).toBeUndefined();
    expect(asked).toEqual([root]);
  });

  it('never asks the server for a codebase on LanceDB, or when flags choose LanceDB over the file', async () => {
    await writeFile(join(root, 'codectx.config.json'), JSON.stringify({ name: 'app' }));
    await mkdir(join(root, '.git'));
    const lance = server({}, {}, [root]);
    expect(await indexedAbove(deep, lance.probe)).toBeUndefined();
    expect(lance.asked).toEqual([]);

    await writeFile(join(root, 'codectx.config.json'), JSON.stringify({ store: 'milvus', milvus: { address: 'localhost:19530' } }));
    const overridden = server({ store: 'lancedb' }, {}, [root]);
    expect(await indexedAbove(deep, overridden.probe)).toBeUndefined();
    expect(overridden.asked).toEqual([]);
  });

  it('walks past a folder with a broken codectx.config.json instead of failing', async () => {
    await writeFile(join(root, 'src', 'codectx.config.json'), '{ "store": ');
    await writeFile(join(root, 'codectx.config.json'), JSON.stringify({ store: 'milvus', milvus: { address: 'localhost:19530' } }));
    const { probe, asked } = server({}, {}, [root]);
    expect((await indexedAbove(deep, probe))?.root).toBe(root);
    expect(asked).toEqual([root]);
  });
});

/**
 * `codectx add /` had the daemon index and watch the whole filesystem, and the unfinished index of `/` then
 * answered for every folder (the hook in /tmp, MCP status for /etc). Neither `/` nor the home folder is a codebase.
 */
describe('folders that are never a codebase', () => {
  let base: string;
  let project: string;
  const saved = { codectxHome: process.env.CODECTX_HOME, home: process.env.HOME };

  beforeEach(async () => {
    base = await realpath(await mkdtemp(join(tmpdir(), 'codectx-refuse-')));
    process.env.CODECTX_HOME = join(base, 'codectx');
    process.env.HOME = join(base, 'me');
    project = join(base, 'me', 'project');
    await mkdir(join(project, 'src'), { recursive: true });
  });

  afterEach(async () => {
    for (const [name, value] of [['CODECTX_HOME', saved.codectxHome], ['HOME', saved.home]] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    await rm(base, { recursive: true, force: true });
  });

  it('refuses a shared temporary folder (sticky, writable by all), and takes a project inside it', async () => {
    const shared = join(base, 'shared-tmp');
    await mkdir(join(shared, 'project'), { recursive: true });
    await chmod(shared, 0o1777);
    await expect(resolveCodebase(shared)).rejects.toThrow(new UsageError(`${shared} is a shared temporary folder, not a codebase; index a project folder inside it`));
    expect((await resolveCodebase(join(shared, 'project'))).root).toBe(join(shared, 'project'));
    await chmod(shared, 0o777);
    expect((await resolveCodebase(shared)).root).toBe(shared);
  });

  it('refuses the filesystem root and the home folder, and takes a project inside it', async () => {
    await expect(resolveCodebase('/')).rejects.toThrow(new UsageError('/ is the filesystem root, not a codebase; index a project folder'));
    const home = join(base, 'me');
    await expect(resolveCodebase(home)).rejects.toThrow(`${home} is your home folder, not a codebase; index a project inside it`);
    await expect(resolveCodebase(home)).rejects.toBeInstanceOf(UsageError);
    expect((await resolveCodebase(project)).root).toBe(project);
    // An index made of one before they were refused can still be found to be dropped (`codectx clear /`).
    expect((await resolveFolder('/')).root).toBe('/');
  });

  // `codectx add $CODECTX_HOME` had the daemon index its own writes there, three runs a second without end.
  it("refuses codectx's own home and any folder in it", async () => {
    const home = process.env.CODECTX_HOME!;
    await mkdir(join(home, 'indexes'), { recursive: true });
    await expect(resolveCodebase(home)).rejects.toThrow(new UsageError(`${home} is codectx's own home (its indexes and logs), not a codebase`));
    await expect(resolveCodebase(join(home, 'indexes'))).rejects.toThrow(/codectx's own home/);
    expect((await resolveCodebase(base)).root).toBe(base);
  });

  it('leaves codectx\'s home out of the walk of a project that holds it, whatever its name', async () => {
    const home = join(project, 'tools', 'my [home] #1!');
    process.env.CODECTX_HOME = home;
    await mkdir(join(home, 'indexes'), { recursive: true });
    await writeFile(join(home, 'indexes', 'state.json'), '{"a": 1}\n');
    await writeFile(join(home, 'ledger.js'), 'export const x = 1;\n');
    await writeFile(join(project, 'src', 'app.js'), 'export function main() {}\n');
    const walked = await walkCodebase(project, { ignore: ownHomeIgnores(project) });
    expect(walked.files.map((file) => file.path)).toEqual(['src/app.js']);
    expect((await walkCodebase(project)).files.map((file) => file.path)).toContain('tools/my [home] #1!/ledger.js');
    expect(ownHomeIgnores(join(project, 'src'))).toEqual([]);
  });

  it('a search walking up never lands on an index of the home folder or of / left from before', async () => {
    for (const root of ['/', join(base, 'me')]) {
      const { collection, indexDir } = codebaseAt(root);
      await writeMeta(indexDir, unfinishedIndex(root, collection));
    }
    expect(await indexedAbove(join(project, 'src'))).toBeUndefined();
    expect((await locateCodebase(join(project, 'src'))).root).toBe(join(project, 'src'));
  });

  it('`add` and `index` say so in one line and exit non-zero', async () => {
    const env = { HOME: join(base, 'me') };
    const added = await runCli(['add', '/'], { home: process.env.CODECTX_HOME!, env });
    expect(added).toMatchObject({ code: 2, stdout: '', stderr: 'codectx: / is the filesystem root, not a codebase; index a project folder\n' });
    const indexed = await runCli(['index'], { home: process.env.CODECTX_HOME!, env, cwd: join(base, 'me') });
    expect(indexed.code).toBe(2);
    expect(indexed.stderr).toBe(`codectx: ${join(base, 'me')} is your home folder, not a codebase; index a project inside it\n`);
  });
});

/**
 * `codectx index` in doc/ of an indexed project built a second index there, which search in doc/ then preferred
 * while only the project's was kept fresh.
 */
describe('what `codectx index` indexes in a folder of an indexed codebase', () => {
  let base: string;
  let project: string;
  let doc: string;
  const savedHome = process.env.CODECTX_HOME;
  const savedCwd = process.cwd();

  beforeEach(async () => {
    base = await realpath(await mkdtemp(join(tmpdir(), 'codectx-target-')));
    process.env.CODECTX_HOME = join(base, 'home');
    project = join(base, 'project');
    doc = join(project, 'doc');
    await mkdir(join(doc, 'api'), { recursive: true });
    const { collection, indexDir } = codebaseAt(project);
    await writeMeta(indexDir, unfinishedIndex(project, collection));
  });

  afterEach(async () => {
    process.chdir(savedCwd);
    if (savedHome === undefined) delete process.env.CODECTX_HOME;
    else process.env.CODECTX_HOME = savedHome;
    await rm(base, { recursive: true, force: true });
  });

  it('without a path, the enclosing indexed codebase, as search finds it', async () => {
    process.chdir(join(doc, 'api'));
    const target = await indexTarget(undefined);
    expect(target.codebase.root).toBe(project);
    expect(target.enclosing?.root).toBe(project);
  });

  it('with a path, that folder, naming the indexed codebase around it', async () => {
    process.chdir(doc);
    for (const path of ['.', doc]) {
      const target = await indexTarget(path);
      expect(target.codebase.root).toBe(doc);
      expect(target.enclosing?.root).toBe(project);
    }
  });

  it('a folder with an index of its own is indexed without a path too, as search uses it', async () => {
    const { collection, indexDir } = codebaseAt(doc);
    await writeMeta(indexDir, unfinishedIndex(doc, collection));
    process.chdir(doc);
    const target = await indexTarget(undefined);
    expect(target.codebase.root).toBe(doc);
    expect(target.enclosing?.root).toBe(project);
  });

  it('the top of an indexed codebase, or a folder in none, has nothing around it', async () => {
    process.chdir(project);
    expect(await indexTarget(undefined)).toEqual({ codebase: codebaseAt(project), enclosing: undefined });
    const alone = join(base, 'alone');
    await mkdir(alone);
    expect(await indexTarget(alone)).toEqual({ codebase: codebaseAt(alone), enclosing: undefined });
  });
});

function unfinishedIndex(root: string, collection: string): IndexMeta {
  const now = new Date().toISOString();
  return {
    store: 'lancedb',
    collection,
    embeddingId: 'local:all-MiniLM-L6-v2:int8',
    dimension: 384,
    chunkerVersion: '2',
    format: 1,
    root,
    createdAt: now,
    updatedAt: now,
    complete: false,
    files: 1,
    chunks: 1,
    skipped: {},
    lastErrors: [],
  };
}
