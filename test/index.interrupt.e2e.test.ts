import { mkdir, open, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixtureWorkspace, runCli, startCli } from './helpers/cli.js';
import { poller } from './helpers/wait.js';

const waitFor = poller(120_000);

/**
 * The fixture and enough distinct functions that embedding outlasts the cache's 5 s timed write with the real model,
 * yet stays under its 4 MiB write (about 2,700 vectors): 900 took 5 s on an idle machine, and the run ended first.
 */
async function workspace(): Promise<{ repo: string; home: string }> {
  const space = await fixtureWorkspace();
  await mkdir(join(space.repo, 'gen'));
  for (let i = 0; i < 2500; i++) {
    await writeFile(
      join(space.repo, 'gen', `handler_${i}.py`),
      `def handle_event_${i}(event, store_${i}):\n    """Routes event kind ${i} to shelf ${i * 7} of the store."""\n    return store_${i}.put("k${i}", event.get("v${i * 3}"))\n`,
    );
  }
  return space;
}

/** Vectors in the embedding cache's segments on disk (each segment's header counts its entries). */
async function cachedVectors(home: string): Promise<number> {
  const root = join(home, 'cache', 'embeddings');
  let total = 0;
  for (const model of await readdir(root).catch(() => [])) {
    for (const name of (await readdir(join(root, model))).filter((file) => file.endsWith('.seg'))) {
      const handle = await open(join(root, model, name), 'r');
      const header = Buffer.alloc(16);
      await handle.read(header, 0, 16, 0);
      await handle.close();
      total += header.readUInt32LE(12);
    }
  }
  return total;
}

/** Starts `codectx index` and waits until some of its vectors are in the cache on disk while it still runs. */
async function indexUntilCached(repo: string, home: string) {
  const run = startCli(['index', repo], { home });
  await waitFor('vectors in the cache', async () => run.child.exitCode !== null || (await cachedVectors(home)) > 0);
  // A run that ended first saved its vectors at the end, which proves nothing about a run stopped part way.
  expect(run.child.exitCode, 'the run ended before any vector reached the cache').toBeNull();
  return run;
}

async function indexJson(args: string[], home: string): Promise<Record<string, number>> {
  const result = await runCli(['index', ...args, '--json'], { home });
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as Record<string, number>;
}

describe('an index run stopped by a signal, end to end with the real model', () => {
  // SIGTERM (timeout, systemd, CI cancellation) exited 143 with no word, and the vectors embedded were lost.
  it('SIGTERM stops it like Ctrl-C: one line, exit 143, and the next run takes its vectors from the cache', { timeout: 300_000 }, async () => {
    const { repo, home } = await workspace();
    const run = await indexUntilCached(repo, home);
    run.child.kill('SIGTERM');
    const stopped = await run.done;
    expect(stopped.code, stopped.stderr).toBe(143);
    const line = stopped.stderr.trimEnd().split('\n').at(-1)!;
    const said = /^codectx: interrupted: the index holds \d+ files \((\d+) chunks\) and the (\d+) chunks embedded in this run are cached; run `codectx index` again to resume$/.exec(line);
    expect(said, line).not.toBeNull();
    const [stored, embedded] = [Number(said![1]), Number(said![2])];
    // Every vector the run embedded is on disk, not only those the last timed write took.
    expect(await cachedVectors(home)).toBeGreaterThanOrEqual(embedded);
    // The first build stopped part way: searches say so instead of answering from part of the codebase.
    const search = await runCli(['search', 'routes event kind 417', '--path', repo], { home });
    expect(search.code).toBe(1);
    expect(search.stderr).toMatch(/^codectx: the index of \S+ was being built when it stopped \(it holds \d+ files? so far\); run `codectx index \S+` to finish it\n$/);

    const resumed = await indexJson([repo], home);
    // Every vector embedded but not yet stored comes from the cache (stopped as a group landed, that is none).
    expect(resumed.cacheHits).toBeGreaterThanOrEqual(embedded - stored);
    expect(resumed.totalChunks).toBe(stored + resumed.chunksWritten);
  });

  // The cache was written every 4 MiB (about 2,700 vectors): a run killed before that lost all it had embedded.
  it('kill -9 loses only the last few seconds of vectors: a rebuild takes the rest from the cache', { timeout: 300_000 }, async () => {
    const { repo, home } = await workspace();
    const run = await indexUntilCached(repo, home);
    const saved = await cachedVectors(home);
    run.child.kill('SIGKILL');
    expect((await run.done).signal).toBe('SIGKILL');

    const rebuilt = await indexJson([repo, '--force'], home);
    expect(rebuilt.cacheHits).toBeGreaterThanOrEqual(saved);
  });
});
