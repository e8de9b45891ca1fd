import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireLock } from '../src/index/lock.js';
import { fixtureWorkspace, runCli } from './helpers/cli.js';
import { startOpenAIServer } from './helpers/openaiServer.js';
import { writeTrustedConfig } from './helpers/trustedConfig.js';

/** A fixture codebase indexed by the CLI: its home, index folder and metadata (to rewrite as a run would). */
async function indexedFixture(): Promise<{ repo: string; home: string; indexDir: string; metaFile: string; meta: Record<string, unknown> }> {
  const { repo, home } = await fixtureWorkspace();
  expect((await runCli(['index', repo, '--quiet'], { home })).code).toBe(0);
  const [name] = await readdir(join(home, 'indexes'));
  const indexDir = join(home, 'indexes', name!);
  const metaFile = join(indexDir, 'meta.json');
  return { repo, home, indexDir, metaFile, meta: JSON.parse(await readFile(metaFile, 'utf8')) as Record<string, unknown> };
}

// After a setting changed (another model, another chunk budget), status showed the old setup with no word while
// search refused the index ("built with another setup") or asked for an API key.
describe('status when the settings no longer match the index', () => {
  it('names the change and what to do, in text and JSON', async () => {
    const { repo, home } = await fixtureWorkspace();
    expect((await runCli(['index', repo, '--quiet'], { home })).code).toBe(0);
    expect((await runCli(['status', repo], { home })).stdout).not.toContain('settings:');

    await writeFile(join(repo, 'codectx.config.json'), JSON.stringify({ chunkTokens: 100 }));
    const text = await runCli(['status', repo], { home });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(
      /^settings: {2}changed since this index was built \(chunk budget \d+ → 100 tokens\); search refuses it until `codectx index --force` rebuilds it, or undo the change$/m,
    );
    const json = JSON.parse((await runCli(['status', repo, '--json'], { home })).stdout) as { settingsChange?: string };
    expect(json.settingsChange).toMatch(/^chunk budget \d+ → 100 tokens$/);

    writeTrustedConfig(repo, { embedding: { provider: 'openai' } }, home);
    const noKey = await runCli(['status', repo], { home, env: { OPENAI_API_KEY: '' } });
    expect(noKey.code, noKey.stderr).toBe(0);
    // It named neither model: which one the index holds and which one the settings ask for.
    expect(noKey.stdout).toMatch(
      /^settings: {2}changed since this index was built \(embedding model local:all-MiniLM-L6-v2:int8 → openai:text-embedding-3-small, which cannot be used here: .*OPENAI_API_KEY.*\); search refuses it until `codectx index --force` rebuilds it/m,
    );
  });

  // Status reads the index with the store it was built in, so a config naming another store (which search then
  // uses) showed the index as it was, with no word.
  it('names a store the settings now choose over the one the index was built in', async () => {
    const { repo, home } = await fixtureWorkspace();
    expect((await runCli(['index', repo, '--quiet'], { home })).code).toBe(0);
    writeTrustedConfig(repo, { store: 'milvus', milvus: { address: '127.0.0.1:1' } }, home);
    const text = await runCli(['status', repo], { home });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^store: {5}lancedb /m);
    expect(text.stdout).toMatch(/^settings: {2}changed since this index was built \(store lancedb → milvus\); search refuses it until `codectx index --force`/m);
  });
});

// A new chunker version cut code differently, and every search then refused the index until `codectx index --force`
// (daemon users included, with no word from the daemon): yet the same model and store only need the files cut
// again, their vectors coming back from the embedding cache.
describe('an index cut by an older chunker', () => {
  it('is rebuilt by the next index run, with no --force and nothing embedded again', async () => {
    const { repo, home, metaFile, meta } = await indexedFixture();
    await writeFile(metaFile, JSON.stringify({ ...meta, chunkerVersion: '0' }));

    const refused = await runCli(['search', 'hash a password', '-p', repo], { home });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/cut by an older chunker \(chunker 0 → \d+\); run `codectx index` to rebuild it/);
    expect((await runCli(['status', repo], { home })).stdout).toMatch(/^settings: .*\(chunker 0 → \d+\); search refuses it until `codectx index` \(or the daemon\) rebuilds it/m);
    expect((await runCli(['index', repo, '--dry-run', '--json'], { home })).stdout).toContain('"filesUnchanged": 0');

    const run = await runCli(['index', repo, '--json'], { home });
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as { rebuiltFor?: string; embedded: number; totalChunks: number };
    expect(report.rebuiltFor).toMatch(/^chunker 0 → \d+$/);
    expect(report.embedded).toBe(0);
    expect(report.totalChunks).toBe(meta.chunks);
    const found = await runCli(['search', 'hash a password', '-p', repo, '--json'], { home });
    expect(found.code, found.stderr).toBe(0);
    expect((JSON.parse(found.stdout) as { results: unknown[] }).results.length).toBeGreaterThan(0);
  });

  it('still asks for --force when the model changed as well', async () => {
    const { repo, home, metaFile, meta } = await indexedFixture();
    await writeFile(metaFile, JSON.stringify({ ...meta, chunkerVersion: '0', embeddingId: 'local:other' }));
    const run = await runCli(['index', repo], { home });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/built with another setup \(embedding model local:other → .*\); run `codectx index --force`/);
  });
});

// An index built by an embedding server, read while the server is down: nothing changed, and a rebuild needs that
// server too, yet status said the settings had changed and sent people to `codectx index --force`.
describe("status when the index's own embedding cannot be used here", () => {
  it('says so, with no settings change and no rebuild offered', async () => {
    const server = await startOpenAIServer();
    const { repo, home } = await fixtureWorkspace();
    writeTrustedConfig(repo, { embedding: { provider: 'openai', baseURL: server.baseURL } }, home);
    const indexed = await runCli(['index', repo, '--quiet'], { home });
    await server.close();
    expect(indexed.code, indexed.stderr).toBe(0);

    const down = await runCli(['status', repo], { home });
    expect(down.code, down.stderr).toBe(0);
    expect(down.stdout).not.toContain('settings:');
    expect(down.stdout).toMatch(/^warning: {3}the index's embedding cannot be used here \(cannot reach the embedding endpoint .*\); search and index fail until it can$/m);
    const json = JSON.parse((await runCli(['status', repo, '--json'], { home })).stdout) as Record<string, unknown>;
    expect(json.settingsChange).toBeUndefined();
    expect(json.embeddingUnavailable).toMatch(/^cannot reach the embedding endpoint/);
  });
});

// While the daemon or another shell was indexing, status said "(last run interrupted; the next index run repairs
// it)": an index being written is not complete, and status could not tell a live run from one that stopped.
describe('status while a run is under way', () => {
  it('says the index is being indexed when a live process holds its lock, interrupted when none does', async () => {
    const { repo, home, indexDir, metaFile, meta } = await indexedFixture();
    // What a run writes as it starts (and leaves behind when it stops): the metadata marked not complete.
    await writeFile(metaFile, JSON.stringify({ ...meta, complete: false }));
    expect((await runCli(['status', repo], { home })).stdout).toMatch(/^index: .*\(last run interrupted; the next index run repairs it\)$/m);

    const release = await acquireLock(join(indexDir, 'index.lock'), 'the index');
    try {
      const text = await runCli(['status', repo], { home });
      expect(text.code, text.stderr).toBe(0);
      expect(text.stdout).toMatch(/^index: .*, updated .* ago \(being indexed now\)$/m);
      const json = JSON.parse((await runCli(['status', repo, '--json'], { home })).stdout) as { complete: boolean; running?: boolean };
      expect(json).toMatchObject({ complete: false, running: true });
    } finally {
      await release();
    }
  });

  // During a first build, search answered from the files indexed so far with no word: "no results" read as if the
  // code did not exist.
  it('search says the index it answered from is still being built from nothing', async () => {
    const { repo, home, indexDir, metaFile, meta } = await indexedFixture();
    const search = () => runCli(['search', 'hash a password', '-p', repo, '--json'], { home });
    expect((await search()).stderr).toBe('');
    // What a build from nothing writes as it starts, its lock held by the run.
    await writeFile(metaFile, JSON.stringify({ ...meta, complete: false, fromScratch: true, files: 2 }));
    const release = await acquireLock(join(indexDir, 'index.lock'), 'the index');
    try {
      const found = await search();
      expect(found.code, found.stderr).toBe(0);
      expect(found.stderr).toMatch(/^codectx: the index of .* is still being built \(2 files so far\): results cover only those\n$/);
      expect((JSON.parse(found.stdout) as { results: unknown[] }).results.length).toBeGreaterThan(0);
    } finally {
      await release();
    }
  });
});
