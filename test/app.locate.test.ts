import { mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { indexedAbove, locateCodebase, pointsAtMilvus, type SharedIndexProbe } from '../src/app/locate.js';
import type { Codebase } from '../src/index/codebase.js';

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
