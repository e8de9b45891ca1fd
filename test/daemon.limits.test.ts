import { mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FSWatcher } from 'chokidar';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Daemon } from '../src/daemon/daemon.js';
import type { Logger } from '../src/daemon/logger.js';
import { registerCodebase } from '../src/daemon/registry.js';
import { RunScheduler } from '../src/daemon/scheduler.js';
import { WatchedCodebase } from '../src/daemon/watchedCodebase.js';
import { Runtime } from '../src/runtime/runtime.js';
import { RuntimePool } from '../src/runtime/runtimePool.js';
import { FakeEmbedder } from './helpers/fakeEmbedder.js';

/** The real chokidar, with every watcher it creates kept here: a test hands one the errors the kernel would. */
const watchers = vi.hoisted(() => [] as FSWatcher[]);
vi.mock('chokidar', async (importOriginal) => {
  const chokidar = await importOriginal<typeof import('chokidar')>();
  return {
    ...chokidar,
    watch: (...args: Parameters<typeof chokidar.watch>) => {
      const watcher = chokidar.watch(...args);
      watchers.push(watcher);
      return watcher;
    },
  };
});

/** What the daemon does at the edge of what a machine can watch: `/` and a home folder, and the kernel's limits. */
describe('the daemon within what it can watch', () => {
  let root: string;
  let lines: string[];
  const log: Logger = { info: (line) => lines.push(line), error: (line) => lines.push(line) };
  const savedCodectxHome = process.env.CODECTX_HOME;
  const savedHome = process.env.HOME;

  beforeEach(async () => {
    process.env.CODECTX_HOME = await mkdtemp(join(tmpdir(), 'codectx-limits-home-'));
    root = await realpath(await mkdtemp(join(tmpdir(), 'codectx-limits-')));
    await writeFile(join(root, 'a.ts'), 'export function alpha() {\n  return 1;\n}\n');
    lines = [];
    watchers.length = 0;
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
    await rm(process.env.CODECTX_HOME!, { recursive: true, force: true });
    process.env.CODECTX_HOME = savedCodectxHome;
    process.env.HOME = savedHome;
  });

  /** The codebase at `root` watched after its first run, with the chokidar watcher the test drives. */
  async function whileWatched(test: (watched: WatchedCodebase, watcher: FSWatcher) => Promise<void>): Promise<void> {
    const embedder = new FakeEmbedder();
    const runtimes = new RuntimePool((config) => new Runtime(config, embedder));
    const watched = new WatchedCodebase(root, { runtimes, scheduler: new RunScheduler(), log, timing: { pollMs: 60_000 } });
    try {
      await watched.start();
      await until(() => watched.status().runs === 1);
      await test(watched, watchers.at(-1)!);
    } finally {
      await watched.stop();
      await runtimes.closeAll();
    }
  }

  // `codectx add /` had the daemon watch the whole disk: 8,500 lines of ENOSPC, 1.8 GB, other codebases stalled.
  it('at the watcher limit, logs one line and stops watching that codebase', async () => {
    await whileWatched(async (watched, watcher) => {
      const limit = (path: string) =>
        Object.assign(new Error(`ENOSPC: System limit for number of file watchers reached, watch '${path}'`), { code: 'ENOSPC' });
      for (let i = 0; i < 50; i++) watcher.emit('error', limit(join(root, `dir${i}`)));
      expect(lines.filter((line) => line.includes('ENOSPC'))).toEqual([
        expect.stringMatching(new RegExp(`^stopped watching ${root}: ENOSPC`)),
      ]);
      await until(() => watcher.closed);
      // The codebase is still served: its index is there, and an explicit run still works.
      expect((await watched.index()).totalFiles).toBe(1);
    });
  });

  it('other watch errors are logged as they come, and the watch goes on', async () => {
    await whileWatched(async (_watched, watcher) => {
      for (let i = 0; i < 2; i++) watcher.emit('error', Object.assign(new Error('EIO: i/o error'), { code: 'EIO' }));
      expect(lines.filter((line) => line.startsWith(`watching ${root}: EIO`))).toHaveLength(2);
      expect(watcher.closed).toBe(false);
    });
  });

  it('does not watch a home folder registered before such folders were refused', async () => {
    process.env.HOME = root;
    await registerCodebase(root);
    const daemon = new Daemon({ version: 'test', log });
    const running = daemon.run();
    try {
      await until(() => lines.some((line) => line.startsWith('not watching')));
      expect(lines).toContain(`not watching ${root}: ${root} is your home folder, not a codebase; index a project inside it`);
      expect(daemon.status().codebases).toEqual([]);
    } finally {
      await daemon.stop('test over');
      await running;
    }
  });
});

async function until(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
