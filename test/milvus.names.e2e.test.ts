import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixtureWorkspace, runCli } from './helpers/cli.js';

/**
 * The reproduction with the real CLI and model on Milvus: a file name with a newline once made every later
 * index run fail ("delete failed: unterminated string literal") and left that file searchable, and --under with a
 * newline failed too. Needs `npm run build` and MILVUS_ADDRESS (skipped without it, except in CI).
 */

const address = process.env.MILVUS_ADDRESS;
const runs = Boolean(address) || process.env.CI === 'true';

describe.runIf(runs)('Milvus store with a newline in file and folder names', () => {
  it('indexes, reindexes after the file is removed, and filters --under such a folder', async () => {
    expect(address, 'CI=true but MILVUS_ADDRESS is not set').toBeTruthy();
    const { repo, home } = await fixtureWorkspace();
    const store = ['--store', 'milvus', '--milvus-address', address!];
    const cli = (args: string[]) => runCli(args, { home, cwd: repo });
    const odd = join(repo, 'src', 'odd\nname.ts');
    await writeFile(odd, 'export function oddlyNamedHelper(): number {\n  return 42;\n}\n');
    await mkdir(join(repo, 'we\nird_dir'));
    await writeFile(join(repo, 'we\nird_dir', 'inner.ts'), 'export const insideWeirdFolder = 1;\n');
    try {
      const first = await cli(['index', repo, '--quiet', ...store]);
      expect(first.code, first.stderr).toBe(0);
      const files = async (query: string, extra: string[] = []) => {
        const result = await cli(['search', query, '--json', '-p', repo, ...store, ...extra]);
        expect(result.code, result.stderr).toBe(0);
        return (JSON.parse(result.stdout) as { results: { file: string }[] }).results.map((hit) => hit.file);
      };
      expect(await files('oddlyNamedHelper')).toContain('src/odd\nname.ts');

      const under = await files('insideWeirdFolder', ['--under', 'we\nird_dir/']);
      expect(under).toEqual(['we\nird_dir/inner.ts']);

      await rm(odd);
      const second = await cli(['index', repo, '--quiet', ...store]);
      expect(second.code, second.stderr).toBe(0);
      expect(await files('oddlyNamedHelper')).not.toContain('src/odd\nname.ts');
    } finally {
      await cli(['clear', repo, ...store]);
    }
  }, 180_000);
});
