import { cp, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixtureWorkspace, runCli } from './helpers/cli.js';

/** A clone or git worktree of an indexed repository, through the CLI with the real model. */
describe('embedding cache shared by checkouts, end to end', () => {
  it('a second checkout embeds nothing, and clearing one codebase keeps the shared cache', async () => {
    const { repo, home } = await fixtureWorkspace();
    const index = async (root: string): Promise<Record<string, number>> => {
      const result = await runCli(['index', root, '--json'], { home });
      expect(result.code, result.stderr).toBe(0);
      return JSON.parse(result.stdout) as Record<string, number>;
    };
    const first = await index(repo);
    expect(first.embedded).toBeGreaterThan(5);

    const clone = `${repo}-clone`;
    await cp(repo, clone, { recursive: true });
    const second = await index(clone);
    expect(second).toMatchObject({ embedded: 0, cacheHits: first.chunksWritten, chunksWritten: first.chunksWritten });

    const status = await runCli(['status', clone, '--json'], { home });
    const cache = (JSON.parse(status.stdout) as { embeddingCache: { dir: string; bytes: number; maxBytes: number } }).embeddingCache;
    expect(cache.dir.startsWith(join(home, 'cache', 'embeddings'))).toBe(true);
    expect(cache.bytes).toBeGreaterThan(first.embedded * 384 * 4);
    expect(cache.maxBytes).toBe(2 ** 30);
    const text = (await runCli(['status', clone], { home })).stdout;
    expect(text).toContain(`cache:     ${cache.dir}, `);
    expect(text).toMatch(/[KM]iB of 1 GiB \(shared by codebases embedded with this model\)/);

    expect((await runCli(['clear', repo], { home })).code).toBe(0);
    expect((await readdir(cache.dir)).some((name) => name.endsWith('.seg'))).toBe(true);
    const third = await index(repo);
    expect(third.embedded).toBe(0);
  });
});
