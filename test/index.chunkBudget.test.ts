import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/config.js';
import type { Codebase } from '../src/index/codebase.js';
import { readMeta, writeMeta } from '../src/index/meta.js';
import { Runtime } from '../src/runtime/runtime.js';
import { FakeEmbedder } from './helpers/fakeEmbedder.js';
import { twoFileCodebase } from './helpers/twoFiles.js';

/**
 * A changed chunkTokens cut only the files that changed after it: the others kept their chunks at the old budget,
 * and the index mixed both sizes without a word. The budget is recorded now and treated as a model change is.
 */
describe('the chunk budget an index was cut at', () => {
  let root: string;
  let codebase: Codebase;
  let dispose: () => Promise<void>;
  const runtimes: Runtime[] = [];
  const runtime = () => {
    const made = new Runtime(loadConfig(root), new FakeEmbedder());
    runtimes.push(made);
    return made;
  };

  beforeEach(async () => {
    ({ root, codebase, dispose } = await twoFileCodebase('budget'));
  });
  afterEach(async () => {
    for (const made of runtimes.splice(0)) await made.close();
    await dispose();
  });

  it('is recorded, and a change is refused until a forced rebuild, for index and search alike', async () => {
    await runtime().index(codebase);
    // The default budget within the fake model's 256 tokens, less the symbol line's room.
    expect((await readMeta(codebase.indexDir))?.chunkTokens).toBe(240);

    await writeFile(join(root, 'codectx.config.json'), '{"chunkTokens": 32}\n');
    const refusal = `the index of ${root} was built with another setup (chunk budget 240 → 32 tokens); run \`codectx index --force\` to rebuild it`;
    await expect(runtime().index(codebase)).rejects.toThrow(refusal);
    await expect(runtime().search(codebase, 'alpha', { limit: 5 })).rejects.toThrow(refusal);

    await runtime().index(codebase, { force: true });
    expect((await readMeta(codebase.indexDir))?.chunkTokens).toBe(32);
    expect((await runtime().search(codebase, 'alpha', { limit: 5 })).map((result) => result.file)).toContain('a.ts');
  });

  it('is not compared for metadata written before it was recorded, and is recorded by the next run', async () => {
    await runtime().index(codebase);
    const { chunkTokens: _, ...older } = (await readMeta(codebase.indexDir))!;
    await writeMeta(codebase.indexDir, older);
    await writeFile(join(root, 'codectx.config.json'), '{"chunkTokens": 64}\n');
    await runtime().index(codebase);
    expect((await readMeta(codebase.indexDir))?.chunkTokens).toBe(64);
  });
});
