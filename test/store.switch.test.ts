import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CodectxService } from '../src/app/service.js';
import { loadConfig } from '../src/config/config.js';
import { daemonSocketPath } from '../src/daemon/paths.js';
import { serveSocket, type SocketServer } from '../src/daemon/server.js';
import { resolveCodebase, type Codebase } from '../src/index/codebase.js';
import { metaPath, readMeta, writeMeta } from '../src/index/meta.js';
import { Runtime } from '../src/runtime/runtime.js';
import { FakeEmbedder } from './helpers/fakeEmbedder.js';
import { twoFileCodebase } from './helpers/twoFiles.js';

/**
 * LanceDB and Milvus indexes of one codebase share its index folder (~/.codectx/indexes/<name>/): a run or a
 * clear of one store must neither take over nor delete the other's. `index --store milvus` rewrote a LanceDB
 * index's metadata without a word (search then refused the LanceDB setup), and `clear --store milvus` deleted
 * the LanceDB table and unregistered the codebase from the daemon that kept it.
 */

const address = process.env.MILVUS_ADDRESS;
const runsMilvus = Boolean(address) || process.env.CI === 'true';
/** Nothing listens there: a Milvus runtime that refuses before any server call never notices. */
const NO_SERVER = '127.0.0.1:1';

describe('one index folder, two stores', () => {
  let root: string;
  let codebase: Codebase;
  let dispose: () => Promise<void>;
  const runtimes: Runtime[] = [];
  const runtime = (flags: { store?: string; milvusAddress?: string } = {}) => {
    const made = new Runtime(loadConfig(root, flags), new FakeEmbedder());
    runtimes.push(made);
    return made;
  };
  const lance = () => runtime();
  const milvus = (at = address!) => runtime({ store: 'milvus', milvusAddress: at });
  const files = async (on: Runtime) => (await on.search(codebase, 'alpha', { limit: 5 })).map((result) => result.file);

  beforeEach(async () => {
    ({ root, codebase, dispose } = await twoFileCodebase('switch'));
  });

  afterEach(async () => {
    for (const made of runtimes.splice(0)) await made.close();
    await dispose();
  });

  it('a Milvus run refuses a folder that holds a LanceDB index, before asking the server, as the reverse run does', async () => {
    await lance().index(codebase);
    const before = await readFile(metaPath(codebase.indexDir), 'utf8');

    await expect(milvus(NO_SERVER).index(codebase)).rejects.toThrow(
      `the index of ${root} was built with another setup (store lancedb → milvus); run \`codectx index --force\` to rebuild it`,
    );
    expect(await readFile(metaPath(codebase.indexDir), 'utf8')).toBe(before);
    expect(await files(lance())).toEqual(['a.ts']);
  });

  it('a LanceDB clear leaves a folder that holds a Milvus index, and the daemon keeps watching it', async () => {
    // A Milvus index's local state, as a Milvus run leaves it (the server is not needed to clear LanceDB).
    await lance().index(codebase);
    const meta = (await readMeta(codebase.indexDir))!;
    await writeMeta(codebase.indexDir, { ...meta, store: 'milvus' });
    const removed: unknown[] = [];
    const daemon = await fakeDaemon(removed);
    try {
      expect(await lance().clear(codebase, { ...meta, store: 'milvus' })).toBeUndefined();
      const service = new CodectxService({ store: 'lancedb' });
      try {
        expect(await service.clear(root)).toEqual({ root, cleared: false, unwatched: false, store: 'lancedb', kept: 'milvus' });
      } finally {
        await service.close();
      }
      expect(removed).toEqual([]);
      expect((await readMeta(codebase.indexDir))?.store).toBe('milvus');

      // The store the folder holds is cleared as before, and the daemon stops watching it.
      await writeMeta(codebase.indexDir, meta);
      const owner = new CodectxService();
      try {
        expect(await owner.clear(root)).toEqual({ root, cleared: true, clearedChunks: meta.chunks, unwatched: true, store: 'lancedb' });
      } finally {
        await owner.close();
      }
      expect(removed).toEqual([{ root }]);
      expect(existsSync(codebase.indexDir)).toBe(false);
    } finally {
      await daemon.close();
    }
  });

  describe.runIf(runsMilvus)('with a Milvus server', () => {
    beforeEach(() => {
      expect(address, 'CI=true but MILVUS_ADDRESS is not set').toBeTruthy();
    });

    it('`--force` replaces the other store\'s index, and a clear of Milvus leaves the LanceDB index it does not hold', async () => {
      await lance().index(codebase);
      await expect(milvus().index(codebase)).rejects.toThrow('(store lancedb → milvus)');

      // Forced, the Milvus index replaces the LanceDB one, table and all.
      expect(await milvus().index(codebase, { force: true })).toMatchObject({ filesChanged: 2, totalFiles: 2 });
      expect(existsSync(join(codebase.indexDir, 'lancedb'))).toBe(false);
      expect((await readMeta(codebase.indexDir))?.store).toBe('milvus');
      expect(await files(milvus())).toEqual(['a.ts']);

      // Back to LanceDB: refused, then forced; the shared Milvus index stays on the server for its other users.
      await expect(lance().index(codebase)).rejects.toThrow('(store milvus → lancedb)');
      await lance().index(codebase, { force: true });
      expect(await files(milvus())).toEqual(['a.ts']);
      // An interrupted LanceDB run says nothing about this machine's Milvus runs.
      const local = (await readMeta(codebase.indexDir))!;
      await writeMeta(codebase.indexDir, { ...local, complete: false });
      expect(await (await milvus().state(codebase)).readMeta()).toMatchObject({ store: 'milvus', complete: true });
      await writeMeta(codebase.indexDir, local);

      // Clearing Milvus drops its rows and state on the server; the LanceDB index here stays, and answers.
      expect(await milvus().clear(codebase, local)).toEqual({ chunks: local.chunks });
      expect(await (await milvus().state(codebase)).readMeta()).toBeUndefined();
      expect(await readMeta(codebase.indexDir)).toMatchObject({ store: 'lancedb', chunks: local.chunks });
      expect(await files(lance())).toEqual(['a.ts']);
    });

    // Seen: `clear <old path>` of a checkout moved away answered "has no index; nothing to clear", and list
    // --indexes went on telling to run it: the key read from the gone folder was its path, not its git remote.
    it('clear of a moved checkout drops this machine\'s record and says which shared index stays for the others', async () => {
      const remote = `github.com/acme/moved-${process.pid}-${Date.now()}`;
      await mkdir(join(root, '.git'));
      await writeFile(join(root, '.git', 'config'), `[remote "origin"]\n\turl = git@${remote.replace('/', ':')}.git\n`);
      expect(await milvus().index(codebase)).toMatchObject({ filesChanged: 2 });
      const local = (await readMeta(codebase.indexDir))!;
      expect(local.sharedKey).toBe(`git:${remote}`);

      const moved = `${root}-moved`;
      await rename(root, moved);
      try {
        expect(await milvus().clear(codebase, local)).toEqual({ sharedKept: `git:${remote}` });
        expect(existsSync(codebase.indexDir)).toBe(false);
        // The checkout where it is now still finds the shared index, and clears it from there.
        const there = await resolveCodebase(moved);
        expect((await milvus().search(there, 'alpha', { limit: 5 })).map((result) => result.file)).toEqual(['a.ts']);
        expect(await milvus().clear(there, undefined)).toEqual({ chunks: 2 });
      } finally {
        await rename(moved, root);
      }
    });
  });
});

/** A daemon that records `remove` calls (and can do nothing else) on the socket of the current CODECTX_HOME. */
function fakeDaemon(removed: unknown[]): Promise<SocketServer> {
  return serveSocket(
    daemonSocketPath(),
    {
      remove: async (params) => {
        removed.push(params);
        return { root: (params as { root: string }).root, removed: true };
      },
    },
    () => undefined,
  );
}
