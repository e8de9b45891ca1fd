import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Logger } from '../src/daemon/logger.js';
import { CodectxError, EmbeddingError } from '../src/errors.js';
import { RunScheduler } from '../src/daemon/scheduler.js';
import { WatchedCodebase } from '../src/daemon/watchedCodebase.js';
import { Runtime } from '../src/runtime/runtime.js';
import { RuntimePool } from '../src/runtime/runtimePool.js';
import { FakeEmbedder } from './helpers/fakeEmbedder.js';

const quiet: Logger = { info: () => undefined, error: () => undefined };

/** WatchedCodebase's batching with real files, watcher, chunker and LanceDB, and a fake embedder: fast. */
describe('WatchedCodebase batching', () => {
  let root: string;
  let embedder: HeldEmbedder;
  let watched: WatchedCodebase;
  const home = process.env.CODECTX_HOME;

  beforeEach(async () => {
    process.env.CODECTX_HOME = await mkdtemp(join(tmpdir(), 'codectx-watched-home-'));
    root = await realpath(await mkdtemp(join(tmpdir(), 'codectx-watched-')));
    await writeFile(join(root, 'a.ts'), 'export function alpha() {\n  return 1;\n}\n');
    embedder = new HeldEmbedder();
  });
  afterEach(async () => {
    await watched?.stop();
    await rm(root, { recursive: true, force: true });
    process.env.CODECTX_HOME = home;
  });

  const start = async (timing: { quietMs: number; maxWaitMs: number; unreachableRetryMs?: number }) => {
    const runtimes = new RuntimePool((config) => new Runtime(config, embedder));
    watched = new WatchedCodebase(root, { runtimes, scheduler: new RunScheduler(), log: quiet, timing: { ...timing, pollMs: 60_000 } });
    await watched.start();
    await until(() => watched.status().runs >= 1);
  };

  it('a burst of saves becomes one run, which embeds only what the burst changed', async () => {
    await start({ quietMs: 150, maxWaitMs: 5000 });
    const before = embedder.embeddedTexts.length;
    for (let i = 0; i < 5; i++) await writeFile(join(root, `b${i}.ts`), `export function beta${i}() {\n  return ${i};\n}\n`);
    await until(() => watched.status().runs === 2 && watched.status().state === 'idle');
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(watched.status()).toMatchObject({ runs: 2, files: 6, queue: 0 });
    const embedded = embedder.embeddedTexts.slice(before);
    expect(embedded).toHaveLength(5);
    expect(embedded.every((text) => /beta\d/.test(text))).toBe(true);
  });

  // A file saved while Milvus or the embedding endpoint was down was indexed only when another file changed; so was
  // one saved while the disk was full (the index lock could not be written), after space was freed.
  const full = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
  it.each([
    ['an unreachable provider', new EmbeddingError('cannot reach the embedding endpoint'), 'cannot reach the embedding endpoint'],
    ['a full disk', new CodectxError(`cannot write the lock index.lock: ${full.message}`, 1, { cause: full }), 'no space left on device'],
    // chmod 000 of the root and back: the daemon never indexed it again until restarted (root is not refused here,
    // so the failure is given as the one a user sees).
    ['an unreadable codebase', Object.assign(new Error(`EACCES: permission denied, open 'codectx.config.json'`), { code: 'EACCES' }), 'permission denied'],
  ])('a run that failed on %s is tried again without a new save', async (_, failure, shown) => {
    await start({ quietMs: 100, maxWaitMs: 400, unreachableRetryMs: 1500 });
    embedder.failure = failure;
    await writeFile(join(root, 'late.ts'), 'export function late() {\n  return 2;\n}\n');
    await until(() => watched.status().runs === 1 && watched.status().lastError !== undefined);
    expect(watched.status().lastError).toContain(shown);
    embedder.failure = undefined;
    await until(() => watched.status().runs === 2, 10_000);
    expect(watched.status()).toMatchObject({ files: 2, state: 'idle' });
    expect(watched.status().lastError).toBeUndefined();
  });

  it('a save storm longer than the maximum wait is indexed while it goes on', async () => {
    await start({ quietMs: 300, maxWaitMs: 600 });
    const stormEnds = Date.now() + 2000;
    let i = 0;
    while (Date.now() < stormEnds) {
      await writeFile(join(root, `s${i++ % 3}.ts`), `export const storm = ${i};\n`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // The quiet period never came during the storm; the maximum wait forced runs anyway.
    expect(watched.status().runs).toBeGreaterThan(1);
  });

  // `codectx index` on a codebase the daemon was still indexing after `add` sat silent for the whole run (77 s),
  // then ran again and said "nothing changed".
  it('an explicit index joins the whole-tree run under way: its progress and its report', async () => {
    await start({ quietMs: 60_000, maxWaitMs: 120_000 });
    for (let i = 0; i < 5; i++) await writeFile(join(root, `b${i}.ts`), `export function beta${i}() {\n  return ${i};\n}\n`);
    await until(() => watched.status().queue === 5);
    let release!: () => void;
    embedder.hold = new Promise<void>((resolve) => (release = resolve));
    const first = watched.index();
    await until(() => embedder.waiting > 0);
    const seen: number[] = [];
    const second = watched.index({ onProgress: (progress) => seen.push(progress.indexFiles) });
    release();
    const [a, b] = await Promise.all([first, second]);
    expect(b).toBe(a);
    expect(b.filesChanged).toBe(5);
    expect(seen.length).toBeGreaterThan(0);
    expect(watched.status().runs).toBe(2);
  });

  // A checkout that turned a link into a file or folder of its name: chokidar kept the name as the link, so the file,
  // and every later save in it, stayed out of the index (no event came, so no run either).
  it('indexes a file and a folder that replaced links of their names, and their later saves', async () => {
    await mkdir(join(root, 'lib'));
    await writeFile(join(root, 'lib', 'real.ts'), 'export function real() {\n  return 0;\n}\n');
    await symlink('lib/real.ts', join(root, 'alias.ts'));
    await symlink('lib', join(root, 'linked'));
    await start({ quietMs: 100, maxWaitMs: 400 });
    expect(watched.status().files).toBe(2);
    // In one turn of the event loop, as a checkout is quicker than chokidar's next read of the folder.
    rmSync(join(root, 'alias.ts'));
    writeFileSync(join(root, 'alias.ts'), 'export function alias() {\n  return 1;\n}\n');
    rmSync(join(root, 'linked'));
    mkdirSync(join(root, 'linked'));
    writeFileSync(join(root, 'linked', 'own.ts'), 'export function own() {\n  return 2;\n}\n');
    await until(() => watched.status().files === 4, 5000);
    await writeFile(join(root, 'alias.ts'), 'export function aliasSaved() {\n  return 3;\n}\n');
    await until(() => embedder.embeddedTexts.some((text) => text.includes('aliasSaved')), 5000);
    // The folder's new watch starts a moment after the run that indexed it: save until a save in it is indexed.
    for (let save = 1; watched.status().files < 5; save++) {
      if (save > 20) throw new Error('no save in the folder was indexed');
      await writeFile(join(root, 'linked', 'later.ts'), `export function later() {\n  return ${save};\n}\n`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  });
});

/** Embeds once `hold` settles, so a test can keep a run in the middle of its work. */
class HeldEmbedder extends FakeEmbedder {
  hold?: Promise<void>;
  waiting = 0;
  /** Thrown by every call while set: an endpoint that is down. */
  failure?: Error;

  override async embed(texts: string[]): Promise<Float32Array[]> {
    if (this.failure) throw this.failure;
    this.waiting++;
    await this.hold;
    this.waiting--;
    return super.embed(texts);
  }
}

async function until(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
